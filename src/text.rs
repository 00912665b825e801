//! Text cut to a size, always on a character boundary: the limits the API
//! server or a log line sets on text that comes from elsewhere (a plugin's
//! messages, a request's values). Every cut in vk-host goes through here.

/// The longest prefix of `text` of at most `max` bytes.
pub fn prefix_bytes(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    &text[..cut]
}

/// The first `max` characters of `text`.
pub fn prefix_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// `text` in at most `max` bytes, ending in `...` when something was cut
/// (for fields with a size limit: the mark counts toward it).
pub fn cut_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    format!("{}...", prefix_bytes(text, max.saturating_sub(3)))
}

/// At most `max` characters of `text`, `…` appended when something was cut
/// (for showing a value in a message or a log line).
pub fn cut_chars(text: &str, max: usize) -> String {
    let kept = prefix_chars(text, max);
    if kept.len() == text.len() {
        kept.to_owned()
    } else {
        format!("{kept}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_never_split_a_character() {
        // (text, max, prefix_bytes, prefix_chars, cut_bytes, cut_chars)
        for (text, max, bytes, chars, cut_b, cut_c) in [
            ("short", 10, "short", "short", "short", "short"),
            ("abcdef", 5, "abcde", "abcde", "ab...", "abcde…"),
            ("abcde", 5, "abcde", "abcde", "abcde", "abcde"),
            ("aééb", 5, "aéé", "aééb", "a...", "aééb"),
            ("aééb", 2, "a", "aé", "...", "aé…"),
            ("éé", 3, "é", "éé", "...", "éé"),
            ("", 0, "", "", "", ""),
            ("ab", 0, "", "", "...", "…"),
        ] {
            assert_eq!(
                prefix_bytes(text, max),
                bytes,
                "prefix_bytes({text:?}, {max})"
            );
            assert_eq!(
                prefix_chars(text, max),
                chars,
                "prefix_chars({text:?}, {max})"
            );
            assert_eq!(cut_bytes(text, max), cut_b, "cut_bytes({text:?}, {max})");
            assert_eq!(cut_chars(text, max), cut_c, "cut_chars({text:?}, {max})");
        }
        let long = "é".repeat(600);
        assert_eq!(prefix_bytes(&long, 1000).len(), 1000);
        assert_eq!(prefix_bytes(&long, 999).len(), 998);
        assert!(cut_bytes(&long, 1024).len() <= 1024);
    }
}
