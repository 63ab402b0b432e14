//! Text helpers shared by messages and names.

/// The longest message or help text kept whole; longer ones (a 50 MB
/// `remoteHost` quoted back) keep their start and end.
const MAX_TEXT: usize = 1024;

/// `text`, with its middle replaced by a note when it is longer than
/// [`MAX_TEXT`] bytes, so one huge value cannot flood the report.
pub(crate) fn elide(text: String) -> String {
    if text.len() <= MAX_TEXT {
        return text;
    }
    let head_end = (0..=MAX_TEXT / 2)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let tail_start = (text.len() - MAX_TEXT / 4..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    format!(
        "{}…[{} bytes elided]…{}",
        text.get(..head_end).unwrap_or(""),
        tail_start - head_end,
        text.get(tail_start..).unwrap_or("")
    )
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
    if value.len() <= MAX_VALUE {
        return value.to_string();
    }
    let head_end = (0..=MAX_VALUE * 3 / 4)
        .rev()
        .find(|&i| value.is_char_boundary(i))
        .unwrap_or(0);
    let tail_start = (value.len() - MAX_VALUE / 4..value.len())
        .find(|&i| value.is_char_boundary(i))
        .unwrap_or(value.len());
    format!(
        "{}…{}",
        value.get(..head_end).unwrap_or(""),
        value.get(tail_start..).unwrap_or("")
    )
}
