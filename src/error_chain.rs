//! An error and its causes on one line, as vk-host's fatal message, its
//! logs, the conformance report and the CRI plugin's errors show them:
//! `error: cause: cause`. A cause whose text the line already holds is
//! left out (some errors repeat their source in their own message).

use std::error::Error;

/// `error: cause: cause`.
pub fn line(error: &(dyn Error + '_)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        next = cause.source();
    }
    text
}

/// The causes below `error` on one line (empty without any), for a log
/// line that shows the error itself in another field.
pub fn causes(error: &(dyn Error + '_)) -> String {
    error.source().map(line).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer {
        text: &'static str,
        source: Option<Box<Layer>>,
    }

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.text)
        }
    }

    impl Error for Layer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.source.as_deref().map(|s| s as &(dyn Error + 'static))
        }
    }

    fn chain(texts: &[&'static str]) -> Layer {
        let (first, rest) = texts.split_first().expect("one layer at least");
        Layer {
            text: first,
            source: (!rest.is_empty()).then(|| Box::new(chain(rest))),
        }
    }

    #[test]
    fn errors_and_causes_read_as_one_line() {
        // (layers, line, causes)
        let table: [(&[&'static str], &str, &str); 4] = [
            (&["starting"], "starting", ""),
            (
                &["starting", "dialing", "refused"],
                "starting: dialing: refused",
                "dialing: refused",
            ),
            (
                &["starting", "dialing: refused", "refused"],
                "starting: dialing: refused",
                "dialing: refused",
            ),
            (
                &["reading x: denied", "denied", "os error 13"],
                "reading x: denied: os error 13",
                "denied: os error 13",
            ),
        ];
        for (layers, expected_line, expected_causes) in table {
            let error = chain(layers);
            assert_eq!(line(&error), expected_line, "{layers:?}");
            assert_eq!(causes(&error), expected_causes, "{layers:?}");
        }
    }
}
