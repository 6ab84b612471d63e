//! `imr`: reads a margin request as JSON on stdin, prints the response as JSON on stdout.
//! Exit status 0 on success, 2 when the request has errors (the JSON still says which).

use std::io::Read;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--presets") {
        println!(
            "{}",
            serde_json::to_string_pretty(imr::list_presets()).unwrap_or_default()
        );
        return;
    }
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("imr: cannot read stdin: {e}");
        std::process::exit(1);
    }
    let out = imr::calculate_json(&input);
    emit(&out);
    if out.starts_with(r#"{"ok":false"#) {
        std::process::exit(2);
    }
}

/// Writes a line to stdout; a closed pipe (`imr < req | head`) ends the program quietly.
fn emit(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        std::process::exit(0);
    }
}
