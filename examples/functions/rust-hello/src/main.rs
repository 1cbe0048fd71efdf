// RustHello: a Rust function for provided.al2023 written with the standard library only. It speaks the Lambda
// Runtime API itself (the loop the lambda_runtime crate runs for you), so it builds without downloading crates:
//
//     open-runtime build RustHello        # .open-runtime/build/RustHello/x86_64/function.zip
//
// It greets the event's "name". "Debug" above `handle` runs a debug build under lldb (no extension needed).
use std::io::{Read, Write};
use std::net::TcpStream;

/// The function itself; the rest of the file is the runtime loop.
fn handle(request_id: &str, event: &str) -> String {
    let mut name = string_field(event, "name").unwrap_or_default();
    if name.is_empty() {
        name = String::from("world");
    }
    let greeting = format!("Hello, {}!", name);
    let function_name = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default();
    format!(
        "{{\"message\":{},\"functionName\":{},\"requestId\":{}}}",
        quote(&greeting),
        quote(&function_name),
        quote(request_id)
    )
}

fn main() {
    let api = match std::env::var("AWS_LAMBDA_RUNTIME_API") {
        Ok(api) => api,
        Err(_) => {
            eprintln!("AWS_LAMBDA_RUNTIME_API is not set: this bootstrap runs inside Lambda or open-runtime.");
            std::process::exit(1);
        }
    };
    loop {
        let (headers, event) = call(&api, "GET", "/2018-06-01/runtime/invocation/next", "");
        let request_id = header(&headers, "lambda-runtime-aws-request-id").unwrap_or_default();
        println!("handling request {}", request_id);
        let answer = handle(&request_id, &event);
        call(&api, "POST", &format!("/2018-06-01/runtime/invocation/{}/response", request_id), &answer);
    }
}

/// One HTTP/1.1 request on its own connection; the response's head and body.
fn call(api: &str, method: &str, path: &str, body: &str) -> (String, String) {
    let mut stream = TcpStream::connect(api).unwrap_or_else(|err| {
        eprintln!("cannot reach the Runtime API: {}", err);
        std::process::exit(1);
    });
    write!(
        stream,
        "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        method,
        path,
        api,
        body.len(),
        body
    )
    .expect("cannot write to the Runtime API");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("cannot read from the Runtime API");
    match reply.split_once("\r\n\r\n") {
        Some((head, body)) => (head.to_string(), dechunk(head, body)),
        None => (reply, String::new()),
    }
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| key.trim().eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim().to_string())
}

/// A chunked body (Transfer-Encoding: chunked) as one string.
fn dechunk(head: &str, body: &str) -> String {
    if !header(head, "transfer-encoding").map_or(false, |v| v.eq_ignore_ascii_case("chunked")) {
        return body.to_string();
    }
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

/// The string value of `"field": "..."` in a flat JSON object (enough for this example's event).
fn string_field(json: &str, field: &str) -> Option<String> {
    let key = format!("\"{}\"", field);
    let after = &json[json.find(&key)? + key.len()..];
    let value = after.trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => out.push(chars.next()?),
            c => out.push(c),
        }
    }
    None
}

fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
