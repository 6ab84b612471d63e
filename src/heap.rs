//! The WebAssembly build's memory allocator: power-of-two size classes with one free list each.
//!
//! The engine's allocations are short-lived and repeat from one calculation to the next (the
//! request's text, the book, the response), so blocks freed by one call are exactly the blocks
//! the next one asks for. A block of class `k` holds `2^k` bytes and is aligned to `2^k` (up to
//! the 64 KiB WebAssembly page), so any request of size and alignment up to `2^k` fits it:
//! classes below a page are carved from a fresh page when their list is empty, larger ones are
//! whole pages from `memory.grow`. Memory is never returned to the host (WebAssembly cannot
//! shrink a memory), as with the standard library's dlmalloc, which this replaces in the module
//! for ~4 KB of gzipped download: dlmalloc's bins, splitting and coalescing buy nothing for
//! this allocation pattern. Allocation and release are O(1); the price is up to half of each
//! block unused and a page per size class in use.
//!
//! The logic is plain Rust over a page source, so the native tests exercise it with pages from
//! the system allocator; only `wasm32` installs it as the global allocator.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::ptr::null_mut;

/// log2 of the WebAssembly page size (64 KiB).
const PAGE_BITS: u32 = 16;
/// The smallest class: 16 bytes (room for the free-list link, and `u128`/SIMD alignment).
const MIN_BITS: u32 = 4;
/// Classes `MIN_BITS..CLASSES`: the largest is 2 GiB, beyond any wasm32 memory in practice.
const CLASSES: usize = 32;

/// Where pages come from: `pages` fresh, zeroed or not, 64 KiB-aligned pages, or null.
pub type PageSource = fn(pages: usize) -> *mut u8;

/// Size-class free lists over a page source (see the module documentation).
pub struct SizeClassHeap {
    free: UnsafeCell<[*mut u8; CLASSES]>,
    pages: PageSource,
}

// SAFETY: the heap is used from one thread only: wasm32 without the `atomics` target feature
// (this crate's build) has no threads, and the native tests use one heap per test thread.
unsafe impl Sync for SizeClassHeap {}

impl SizeClassHeap {
    /// An empty heap drawing pages from `pages`.
    pub const fn new(pages: PageSource) -> Self {
        SizeClassHeap {
            free: UnsafeCell::new([null_mut(); CLASSES]),
            pages,
        }
    }

    /// The class of a layout: log2 of the smallest power of two ≥ its size and alignment.
    fn class(layout: Layout) -> Option<usize> {
        let bytes = layout.size().max(layout.align()).max(1 << MIN_BITS);
        let bits = bytes.checked_next_power_of_two()?.trailing_zeros();
        ((bits as usize) < CLASSES).then_some(bits as usize)
    }

    /// A block of class `bits`, or null when the page source has no more memory.
    ///
    /// # Safety
    /// Not reentrant: the caller is the only user of the heap for the duration of the call.
    unsafe fn take(&self, bits: usize) -> *mut u8 {
        // SAFETY: single-threaded and not reentrant (see `Sync` above), so this is the only
        // reference to the lists; every pointer on a list is a free block of that class, whose
        // first word holds the next free block's address.
        unsafe {
            let free = &mut *self.free.get();
            let head = free[bits];
            if !head.is_null() {
                free[bits] = *head.cast::<*mut u8>();
                return head;
            }
            if bits as u32 >= PAGE_BITS {
                return (self.pages)(1 << (bits as u32 - PAGE_BITS));
            }
            let page = (self.pages)(1);
            if page.is_null() {
                return page;
            }
            // Keep the first block, thread the rest of the page onto the list.
            let size = 1usize << bits;
            let mut next = null_mut();
            let mut offset = (1usize << PAGE_BITS) - size;
            while offset > 0 {
                let block = page.add(offset);
                *block.cast::<*mut u8>() = next;
                next = block;
                offset -= size;
            }
            free[bits] = next;
            page
        }
    }

    /// Returns a block of class `bits` to its list.
    ///
    /// # Safety
    /// `block` came from [`Self::take`] with the same class and is no longer used.
    unsafe fn give(&self, block: *mut u8, bits: usize) {
        // SAFETY: as in `take`; the block is at least 16 bytes and aligned to 16, room for the
        // link.
        unsafe {
            let free = &mut *self.free.get();
            *block.cast::<*mut u8>() = free[bits];
            free[bits] = block;
        }
    }
}

// SAFETY: every block returned is at least `layout.size()` bytes, aligned to at least
// `layout.align()` (a class-`k` block is aligned to `2^k` up to a page; larger classes are
// whole, page-aligned pages, and alignments above a page are refused with null), and stays
// reserved until `dealloc` with the same layout puts it back on its list.
unsafe impl GlobalAlloc for SizeClassHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() > 1 << PAGE_BITS {
            return null_mut();
        }
        match Self::class(layout) {
            // SAFETY: GlobalAlloc is not reentrant here (nothing in `take` allocates).
            Some(bits) => unsafe { self.take(bits) },
            None => null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(bits) = Self::class(layout) {
            // SAFETY: `ptr` was allocated with `layout`, hence with this class.
            unsafe { self.give(ptr, bits) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees a valid layout for `new_size` (GlobalAlloc's contract).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if Self::class(layout) == Self::class(new_layout) {
            return ptr;
        }
        // SAFETY: a fresh block of the new class; the old one is copied and released.
        unsafe {
            let fresh = self.alloc(new_layout);
            if !fresh.is_null() {
                std::ptr::copy_nonoverlapping(ptr, fresh, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            fresh
        }
    }
}

/// Pages from the module's own memory: `memory.grow`, which hands out zeroed pages at the end.
#[cfg(target_arch = "wasm32")]
fn grow_memory(pages: usize) -> *mut u8 {
    match core::arch::wasm32::memory_grow(0, pages) {
        usize::MAX => null_mut(),
        first => (first << PAGE_BITS) as *mut u8,
    }
}

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static HEAP: SizeClassHeap = SizeClassHeap::new(grow_memory);

#[cfg(test)]
mod tests {
    use super::*;

    fn system_pages(pages: usize) -> *mut u8 {
        let layout = Layout::from_size_align(pages << PAGE_BITS, 1 << PAGE_BITS).unwrap();
        // SAFETY: a non-zero size; the pages are leaked for the test's duration, as the
        // WebAssembly memory's pages are never returned.
        unsafe { std::alloc::alloc(layout) }
    }

    /// Random allocations, reallocations and frees: every block aligned as asked, large enough,
    /// not overlapping any live one, and its contents intact until freed.
    #[test]
    fn blocks_are_aligned_disjoint_and_keep_their_contents() {
        let heap = SizeClassHeap::new(system_pages);
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
        for step in 0..10_000u32 {
            let roll = next();
            if live.len() > 200 || (roll % 3 == 0 && !live.is_empty()) {
                let (ptr, layout, fill) = live.swap_remove((next() as usize) % live.len());
                for i in 0..layout.size() {
                    // SAFETY: a live block of `layout.size()` bytes.
                    assert_eq!(unsafe { *ptr.add(i) }, fill, "step {step}");
                }
                if roll % 2 == 0 {
                    // SAFETY: allocated with `layout`.
                    unsafe { heap.dealloc(ptr, layout) };
                } else {
                    let new_size = 1 + (next() as usize) % 70_000;
                    // SAFETY: allocated with `layout`; new_size is non-zero.
                    let moved = unsafe { heap.realloc(ptr, layout, new_size) };
                    assert!(!moved.is_null());
                    for i in 0..layout.size().min(new_size) {
                        // SAFETY: the first bytes were copied.
                        assert_eq!(unsafe { *moved.add(i) }, fill, "step {step}");
                    }
                    let layout = Layout::from_size_align(new_size, layout.align()).unwrap();
                    // SAFETY: `new_size` bytes now belong to this block.
                    unsafe { std::ptr::write_bytes(moved, fill, new_size) };
                    live.push((moved, layout, fill));
                }
                continue;
            }
            let size = match roll % 10 {
                0 => (next() as usize) % 200_000,
                1..=3 => (next() as usize) % 4096,
                _ => (next() as usize) % 96,
            }
            .max(1);
            let align = 1usize << ((next() % 5) as u32);
            let layout = Layout::from_size_align(size, align).unwrap();
            // SAFETY: non-zero size.
            let ptr = unsafe { heap.alloc(layout) };
            assert!(!ptr.is_null());
            assert_eq!(ptr as usize % align, 0);
            let (start, end) = (ptr as usize, ptr as usize + size);
            for (other, other_layout, _) in &live {
                let (a, b) = (*other as usize, *other as usize + other_layout.size());
                assert!(end <= a || b <= start, "overlap at step {step}");
            }
            let fill = (step % 251) as u8;
            // SAFETY: `size` bytes of a fresh block.
            unsafe { std::ptr::write_bytes(ptr, fill, size) };
            live.push((ptr, layout, fill));
        }
    }

    #[test]
    fn freed_blocks_are_reused_and_huge_requests_refused() {
        let heap = SizeClassHeap::new(system_pages);
        let layout = Layout::from_size_align(100, 8).unwrap();
        // SAFETY: non-zero sizes; each block is freed with its own layout.
        unsafe {
            let a = heap.alloc(layout);
            heap.dealloc(a, layout);
            assert_eq!(heap.alloc(layout), a);
            let big = Layout::from_size_align(300_000, 8).unwrap();
            let b = heap.alloc(big);
            assert_eq!(b as usize % (1 << PAGE_BITS), 0);
            heap.dealloc(b, big);
            assert_eq!(heap.alloc(big), b);
            let too_aligned = Layout::from_size_align(64, 1 << 17).unwrap();
            assert!(heap.alloc(too_aligned).is_null());
            let too_big = Layout::from_size_align(1 << 40, 8).unwrap();
            assert!(heap.alloc(too_big).is_null());
        }
    }
}
