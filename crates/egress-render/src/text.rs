//! Text helpers shared by messages and names.

/// A safety net only: the longest message or help text kept whole. Each
/// long value is shortened on its own first ([`shorten_values`]), and
/// lists that could grow with the input are capped where they are written
/// ("and N more"), so no message the tool writes comes near it.
const MAX_TEXT: usize = 64 * 1024;

/// A value longer than this (a 50 MB `remoteHost` quoted back) is
/// shortened in a message; a `namespace/name` (at most 63 + 1 + 253) never
/// is.
const MAX_TOKEN: usize = 320;

/// A list of more numbers than this (ports) is written as ranges.
const MAX_NUMBERS: usize = 10;

/// `text` with each long value shortened on its own: a word longer than
/// [`MAX_TOKEN`] keeps its start and end around `…`, and a long list of
/// numbers (`8000, 8001, …, 8045`) becomes ranges (`8000–8045`). The rest
/// of the message (package names, fields, the explanation) is kept.
pub(crate) fn elide(text: String) -> String {
    let text = yaml_escapes(text);
    let shortened = shorten_values(&text);
    let text = if shortened.len() < text.len() {
        shortened
    } else {
        text
    };
    if text.len() <= MAX_TEXT {
        return text;
    }
    let (head, tail) = head_and_tail(&text, MAX_TEXT / 2, MAX_TEXT / 4);
    format!(
        "{head}…[{} bytes elided]…{tail}",
        text.len() - head.len() - tail.len()
    )
}

/// About the first `head` and last `tail` bytes of `text`, cut at character
/// boundaries.
fn head_and_tail(text: &str, head: usize, tail: usize) -> (&str, &str) {
    let head_end = (0..=head.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let tail_start = (text.len().saturating_sub(tail).max(head_end)..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    (
        text.get(..head_end).unwrap_or(""),
        text.get(tail_start..).unwrap_or(""),
    )
}

/// `text` with control characters written as YAML escapes (`\x01`), so a
/// value quoted back cannot move the terminal's cursor, and Rust's `Debug`
/// escapes of them (`\u{1}`, `\u{7f}`) written the way YAML reads them.
fn yaml_escapes(text: String) -> String {
    let needs = text.chars().any(|c| c.is_control() && c != '\n') || text.contains("\\u{");
    if !needs {
        return text;
    }
    let escape = |out: &mut String, n: u32| {
        if n < 0x100 {
            out.push_str(&format!("\\x{n:02x}"));
        } else {
            out.push_str(&format!("\\u{n:04x}"));
        }
    };
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some('\\') => {
                    out.push_str("\\\\");
                    chars.next();
                }
                Some('u') => {
                    let rest: String = chars.clone().skip(1).take(9).collect();
                    let hex = rest
                        .strip_prefix('{')
                        .and_then(|r| r.split_once('}'))
                        .map(|(h, _)| h)
                        .filter(|h| !h.is_empty() && h.len() <= 6)
                        .and_then(|h| u32::from_str_radix(h, 16).ok().map(|n| (n, h.len())));
                    match hex {
                        Some((n, len)) => {
                            escape(&mut out, n);
                            // `u`, `{`, the digits, `}`.
                            for _ in 0..len + 3 {
                                chars.next();
                            }
                        }
                        None => out.push('\\'),
                    }
                }
                _ => out.push('\\'),
            },
            c if c.is_control() && c != '\n' => escape(&mut out, u32::from(c)),
            c => out.push(c),
        }
    }
    out
}

/// See [`elide`]: long words shortened, long number lists as ranges.
pub(crate) fn shorten_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4 * MAX_TOKEN));
    let mut rest = text;
    let mut after_word = false;
    while let Some(c) = rest.chars().next() {
        // A list of numbers ("1, 2, 3"), not inside a word ("h1.example").
        if c.is_ascii_digit() && !after_word {
            if let Some((numbers, used)) = number_list(rest).filter(|(n, _)| n.len() > MAX_NUMBERS)
            {
                out.push_str(&ranges(&numbers));
                rest = rest.get(used..).unwrap_or("");
                after_word = true;
                continue;
            }
        }
        // Whitespace and opening brackets stand alone.
        if c.is_whitespace() || matches!(c, '[' | '(' | '{') {
            out.push(c);
            rest = rest.get(c.len_utf8()..).unwrap_or("");
            after_word = false;
            continue;
        }
        let end = rest
            .char_indices()
            .find(|&(_, c)| c.is_whitespace() || matches!(c, '[' | '(' | '{'))
            .map_or(rest.len(), |(i, _)| i);
        out.push_str(&shorten_to(rest.get(..end).unwrap_or(""), MAX_TOKEN));
        rest = rest.get(end..).unwrap_or("");
        after_word = true;
    }
    out
}

/// The numbers of a list `1, 2, 3` at the start of `text` (at least two),
/// and the bytes it spans.
fn number_list(text: &str) -> Option<(Vec<u64>, usize)> {
    let mut numbers = Vec::new();
    let mut at = 0;
    loop {
        let digits = text
            .get(at..)?
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        if digits == 0 || digits > 19 {
            break;
        }
        numbers.push(text.get(at..at + digits)?.parse().ok()?);
        let end = at + digits;
        at = end;
        match text.get(end..) {
            Some(r)
                if r.starts_with(", ") && r.as_bytes().get(2).is_some_and(u8::is_ascii_digit) =>
            {
                at = end + 2;
            }
            _ => break,
        }
    }
    // `at` ends after the last number.
    (numbers.len() >= 2).then_some((numbers, at))
}

/// `8000–8045, 9000`: runs of consecutive numbers as ranges; past
/// [`SHOWN`] items, "and N more".
fn ranges(numbers: &[u64]) -> String {
    let mut items: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(&start) = numbers.get(i) {
        let mut j = i;
        while numbers
            .get(j + 1)
            .is_some_and(|&n| Some(n) == numbers.get(j).map(|m| m + 1))
        {
            j += 1;
        }
        let end = numbers.get(j).copied().unwrap_or(start);
        items.push(if j > i {
            format!("{start}–{end}")
        } else {
            start.to_string()
        });
        i = j + 1;
    }
    with_more(&items)
}

/// Sorted ports as ranges: `8000–8045, 9000`.
pub(crate) fn port_ranges(ports: impl IntoIterator<Item = u16>) -> String {
    let numbers: Vec<u64> = ports.into_iter().map(u64::from).collect();
    ranges(&numbers)
}

/// `value`, or when longer than `max` bytes its start and end around `…`.
fn shorten_to(value: &str, max: usize) -> String {
    if value.len() <= max {
        return value.to_string();
    }
    let (head, tail) = head_and_tail(value, max * 3 / 4, max / 4);
    format!("{head}…{tail}")
}

/// How many hosts, packages or Sidecars a message names before "and N
/// more".
pub(crate) const SHOWN: usize = 10;

/// `items`' first [`SHOWN`] joined with ", ", then how many were left out.
pub(crate) fn with_more<S: AsRef<str>>(items: &[S]) -> String {
    let shown: Vec<&str> = items.iter().take(SHOWN).map(AsRef::as_ref).collect();
    let mut s = shown.join(", ");
    if items.len() > shown.len() {
        s.push_str(&format!(" and {} more", items.len() - shown.len()));
    }
    s
}

/// The longest single value a message quotes whole.
pub(crate) const MAX_VALUE: usize = 200;

/// `value`, or when longer than [`MAX_VALUE`] bytes its start and end
/// around `…`, so that a message quoting it keeps everything else.
pub(crate) fn shorten(value: &str) -> String {
    shorten_to(value, MAX_VALUE)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Control characters never reach the terminal raw, and Rust's `\u{1}`
    /// escapes read as YAML's.
    #[test]
    fn control_characters_are_yaml_escapes() {
        let name = "a\0b";
        assert_eq!(
            elide(format!(
                "package b\u{1}/{name} name {name:?} {:?}",
                "v\u{7f}\\u{1}"
            )),
            "package b\\x01/a\\x00b name \"a\\0b\" \"v\\x7f\\\\u{1}\""
        );
        assert_eq!(elide("plain \\ text".into()), "plain \\ text");
    }

    #[test]
    fn long_port_lists_become_ranges() {
        let ports: Vec<String> = (8000..=8045).map(|p| p.to_string()).collect();
        let text = format!("ports [{}] of team-a/app and team-b/web", ports.join(", "));
        assert_eq!(
            elide(text),
            "ports [8000–8045] of team-a/app and team-b/web"
        );
        // Short lists and numbers inside words stay as written.
        assert_eq!(
            elide("ports [80, 443] h1.example.com".into()),
            "ports [80, 443] h1.example.com"
        );
        let gaps: Vec<String> = (0..30).map(|p| (p * 2).to_string()).collect();
        assert_eq!(
            elide(gaps.join(", ")),
            "0, 2, 4, 6, 8, 10, 12, 14, 16, 18 and 20 more"
        );
    }

    #[test]
    fn long_values_are_shortened_each_on_its_own() {
        let a = format!("{}.com", "a".repeat(400));
        let b = format!("{}.org", "b".repeat(400));
        let text = elide(format!(
            "host \"{a}\" of team-a/app and host \"{b}\" of team-b/web"
        ));
        assert!(text.contains("of team-a/app and host \"bbb"), "{text}");
        assert!(text.ends_with(".org\" of team-b/web"), "{text}");
        assert!(
            text.contains("aaa…aaa") && text.contains("aaa.com\" of team-a/app"),
            "{text}"
        );
        assert!(text.len() < 2 * MAX_TOKEN + 100);
        // Valid names are never shortened.
        let name = format!("{}/{}", "n".repeat(63), "p".repeat(253));
        assert_eq!(elide(name.clone()), name);
    }
}
