//! Exact arithmetic on Kubernetes quantity strings (`500m`, `64Mi`, `1e3`),
//! as both sides of the protocol need it: the host for `resourceFieldRef`
//! and node resources, plugins for CPU shares, quotas and memory limits.
//! Values are rounded up as `resource.Quantity`'s `Value()` and
//! `MilliValue()` round. Written here because the quantity crates offer
//! float conversions or decimal arithmetic, not this exact rounding (a
//! divisor of `1m` must give `250` for `250m`, not `251`). Also the
//! grammar itself ([`is_quantity`]) and which resources take whole numbers
//! only ([`whole_numbers_only`], [`is_whole`]), as the API server checks a
//! Node's resources.

use crate::names;

/// Text that is not a Kubernetes quantity, or one too large to compute with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not a Kubernetes quantity (e.g. \"500m\", \"64Mi\", \"2\") or is out of range"
)]
pub struct QuantityError {
    pub text: String,
}

/// Decimal and binary exponents of a named suffix: `k` = 10^3, `Ki` = 2^10,
/// `m` = 10^-3, "" = 1. `None` for anything else (exponents like `e3`
/// included: callers bound those as they need).
pub fn named_suffix(suffix: &str) -> Option<(i32, u32)> {
    Some(match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        _ => return None,
    })
}

/// `ceil(quantity × 10^scale)`: scale 0 is `Value()`, 3 is `MilliValue()`,
/// 9 is the quantity in nano-units (exact for every suffix).
pub fn scaled_ceil(text: &str, scale: i32) -> Result<i128, QuantityError> {
    let error = || QuantityError {
        text: text.to_owned(),
    };
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        Some(_) => (false, text),
        None => return Err(error()),
    };
    let number_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(number_end);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return Err(error());
    }
    let digits = format!("{whole}{fraction}");
    if digits.len() > 30 {
        return Err(error());
    }
    let mantissa: i128 = digits.parse().map_err(|_| error())?;
    let (exp10, exp2) = match named_suffix(suffix) {
        Some(exponents) => exponents,
        None => {
            let exponent = suffix.strip_prefix(['e', 'E']).ok_or_else(error)?;
            let exponent: i32 = exponent.parse().map_err(|_| error())?;
            if exponent.unsigned_abs() > 40 {
                return Err(error());
            }
            (exponent, 0)
        }
    };
    let fraction_digits = i32::try_from(fraction.len()).map_err(|_| error())?;
    let magnitude = scale_exact(mantissa, exp10 + scale - fraction_digits, exp2, !negative)
        .ok_or_else(error)?;
    Ok(if negative { -magnitude } else { magnitude })
}

/// Resource names the API server takes only in whole numbers besides the
/// extended resources (`IsIntegerResourceName`).
const INTEGER_RESOURCES: [&str; 9] = [
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "services.nodeports",
    "services.loadbalancers",
];

/// Kubernetes' quantity grammar (`ParseQuantity`): an optional sign, a
/// decimal number, then nothing, a binary suffix (Ki..Ei), a decimal suffix
/// (n, u, m, k, M..E) or an exponent (`e3`, `E-2`). The shape only: a
/// quantity may still be too large for [`scaled_ceil`].
pub fn is_quantity(text: &str) -> bool {
    let text = text.strip_prefix(['+', '-']).unwrap_or(text);
    let number_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(number_end);
    let digits = number.chars().filter(char::is_ascii_digit).count();
    if digits == 0 || number.matches('.').count() > 1 {
        return false;
    }
    if named_suffix(suffix).is_some() {
        return true;
    }
    match suffix.strip_prefix(['e', 'E']) {
        Some(exponent) => {
            let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            !exponent.is_empty() && exponent.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

/// True for the resources the API server requires whole numbers of:
/// `pods` and extended resources, those with a domain that is not
/// `*kubernetes.io/` (`IsIntegerResourceName`, `IsExtendedResourceName`).
pub fn whole_numbers_only(resource: &str) -> bool {
    let native = !resource.contains('/') || resource.contains("kubernetes.io/");
    let extended = !native
        && !resource.starts_with("requests.")
        && names::check_qualified_name(&format!("requests.{resource}")).is_ok();
    INTEGER_RESOURCES.contains(&resource) || extended
}

/// True when the quantity `text` (already checked by [`is_quantity`]) is a
/// whole number: `3`, `2k`, `0.5Ki`, `1e3`, `2000m`. Exact, so a little
/// stricter than the API server, which rounds up to milli-units first and
/// lets `1.9999` pass.
pub fn is_whole(text: &str) -> bool {
    let text = text.strip_prefix(['+', '-']).unwrap_or(text);
    let number_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(number_end);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    // value = digits × 10^exponent × 2^binary
    let (exponent, binary): (i64, i64) = match named_suffix(suffix) {
        Some((exponent, binary)) => (i64::from(exponent), i64::from(binary)),
        None => {
            let exponent = &suffix[1..];
            match exponent.parse::<i64>() {
                Ok(exponent) => (exponent, 0),
                // Too many digits to be a real exponent: whole when positive.
                Err(_) => return !exponent.starts_with('-'),
            }
        }
    };
    let mut digits: Vec<u8> = whole
        .bytes()
        .chain(fraction.bytes())
        .map(|b| b - b'0')
        .skip_while(|d| *d == 0)
        .collect();
    let mut exponent = exponent.saturating_sub(i64::try_from(fraction.len()).unwrap_or(i64::MAX));
    while digits.last() == Some(&0) {
        digits.pop();
        exponent = exponent.saturating_add(1);
    }
    if digits.is_empty() || exponent >= 0 {
        return true;
    }
    // Whole when digits × 2^binary divides by 10^-exponent: 5^-exponent
    // must divide the digits, and the 2s the binary suffix lacks too.
    let tens = exponent.unsigned_abs();
    let twos = tens.saturating_sub(binary.unsigned_abs());
    for (divisor, times) in [(5, tens), (2, twos)] {
        for _ in 0..times {
            match divide_exactly(&digits, divisor) {
                Some(quotient) => digits = quotient,
                None => return false,
            }
        }
    }
    true
}

/// `digits` (decimal, most significant first) divided by `divisor`, when
/// there is no remainder.
fn divide_exactly(digits: &[u8], divisor: u32) -> Option<Vec<u8>> {
    let mut quotient = Vec::with_capacity(digits.len());
    let mut remainder = 0u32;
    for &digit in digits {
        let current = remainder * 10 + u32::from(digit);
        quotient.push(u8::try_from(current / divisor).ok()?);
        remainder = current % divisor;
    }
    (remainder == 0).then_some(quotient)
}

/// `mantissa × 10^exp10 × 2^exp2`, rounded away from zero when `round_up`
/// (a positive value: ceil) or toward zero otherwise (a negative value's
/// magnitude, so that the negated result is its ceil).
fn scale_exact(mantissa: i128, exp10: i32, exp2: u32, round_up: bool) -> Option<i128> {
    let value = mantissa.checked_mul(2i128.checked_pow(exp2)?)?;
    if exp10 >= 0 {
        return value.checked_mul(10i128.checked_pow(exp10.unsigned_abs())?);
    }
    let Some(divisor) = 10i128.checked_pow(exp10.unsigned_abs()) else {
        // Smaller than any representable step: 0, or 1 rounded up.
        return Some(i128::from(round_up && value != 0));
    };
    let quotient = value / divisor;
    Some(if round_up && value % divisor != 0 {
        quotient + 1
    } else {
        quotient
    })
}

#[cfg(test)]
mod tests {
    use super::{is_quantity, is_whole, scaled_ceil, whole_numbers_only};

    #[test]
    fn the_quantity_grammar() {
        for good in [
            "1", "100", "100m", "0.5", "1.5", "512Gi", "1e3", "2E-2", "1E+3", "+4", "-1", "-.5",
            ".5", "1.", "10k", "64M", "1E", "1Ei", "1n",
        ] {
            assert!(is_quantity(good), "{good}");
        }
        for bad in [
            "", "Gi", ".", "1.2.3", "ten", "1Gb", "1e", "1e+", "1 Gi", "12 Gi", "5x", "+-1", "-+1",
            "1-", "1e3.5", "--1",
        ] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }

    #[test]
    fn whole_numbers_for_pods_and_extended_resources() {
        for name in ["pods", "example.com/widget", "nvidia.com/gpu"] {
            assert!(whole_numbers_only(name), "{name}");
        }
        for name in [
            "cpu",
            "memory",
            "ephemeral-storage",
            "hugepages-2Mi",
            "kubernetes.io/something",
            "example.kubernetes.io/thing",
            "requests.example.com/widget",
        ] {
            assert!(!whole_numbers_only(name), "{name}");
        }
        for whole in [
            "0",
            "3",
            "+4",
            "2k",
            "1E",
            "0.5Ki",
            "1.5Ki",
            "1e3",
            "2000m",
            "1.50e1",
            "000",
            "0.0",
            "5000000u",
            "1e999999999999999999999",
        ] {
            assert!(is_quantity(whole) && is_whole(whole), "{whole}");
        }
        for fraction in [
            "0.5",
            "1500m",
            "1m",
            "1.0001",
            "2E-2",
            "1n",
            ".5",
            "1e-1",
            "0.00048828125Ki",
            "1e-999999999999999999999",
        ] {
            assert!(is_quantity(fraction) && !is_whole(fraction), "{fraction}");
        }
        assert!(is_whole("0.0009765625Ki"), "2^-10 Ki is 1");
    }

    #[test]
    fn values_milli_values_and_nanos() {
        for (text, value, milli) in [
            ("1", 1, 1000),
            ("250m", 1, 250),
            ("1.5", 2, 1500),
            ("0.1", 1, 100),
            ("100Mi", 104_857_600, 104_857_600_000),
            ("1Gi", 1_073_741_824, 1_073_741_824_000),
            ("1k", 1000, 1_000_000),
            ("1e3", 1000, 1_000_000),
            ("1n", 1, 1),
            ("0", 0, 0),
            ("2.5Gi", 2_684_354_560, 2_684_354_560_000),
            (".5", 1, 500),
            ("+2", 2, 2000),
            ("-1.5", -1, -1500),
        ] {
            assert_eq!(scaled_ceil(text, 0), Ok(value), "Value of {text}");
            assert_eq!(scaled_ceil(text, 3), Ok(milli), "MilliValue of {text}");
        }
        assert_eq!(scaled_ceil("1n", 9), Ok(1));
        assert_eq!(scaled_ceil("0.5Ki", 9), Ok(512_000_000_000));
    }

    #[test]
    fn garbage_and_huge_values_are_refused() {
        for text in ["", "abc", "1.2.3", "1Xi", "1e", ".", "1e99", "-", "1 "] {
            let error = scaled_ceil(text, 0).expect_err(text);
            assert_eq!(error.text, text);
        }
    }
}

/// Property tests: any text is a quantity or an error, never a panic; the
/// values at different scales agree with each other (ceil(q·10^(s+1)) is
/// within 9 below ten times ceil(q·10^s)), and [`is_whole`] agrees with
/// the exact value wherever nano-units represent it.
#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::{is_quantity, is_whole, named_suffix, scaled_ceil};

    const SUFFIXES: &[&str] = &[
        "", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
    ];

    /// The exponent of `e<n>`, edges included.
    fn exponent() -> impl Strategy<Value = i64> {
        prop_oneof![
            -45i64..45,
            any::<i32>().prop_map(i64::from),
            proptest::sample::select(vec![
                i64::from(i32::MIN),
                i64::from(i32::MAX),
                i64::from(i32::MIN) - 1,
                i64::from(i32::MAX) + 1,
                i64::MIN,
                i64::MAX,
            ]),
        ]
    }

    /// Text in the quantity grammar, with numbers of any size.
    fn quantity() -> impl Strategy<Value = String> {
        let suffix = prop_oneof![
            proptest::sample::select(SUFFIXES).prop_map(str::to_owned),
            (
                proptest::sample::select(&["e", "E"][..]),
                proptest::sample::select(&["", "+"][..]),
                exponent()
            )
                .prop_map(|(e, plus, n)| if n >= 0 {
                    format!("{e}{plus}{n}")
                } else {
                    format!("{e}{n}")
                }),
        ];
        (
            proptest::sample::select(&["", "+", "-"][..]),
            "[0-9]{0,34}",
            proptest::option::of("[0-9]{0,34}"),
            suffix,
        )
            .prop_filter_map(
                "a number needs a digit",
                |(sign, whole, fraction, suffix)| {
                    let number = match fraction {
                        Some(fraction) => format!("{whole}.{fraction}"),
                        None => whole,
                    };
                    number
                        .contains(|c: char| c.is_ascii_digit())
                        .then(|| format!("{sign}{number}{suffix}"))
                },
            )
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![quantity(), any::<String>(), "[-+.0-9eEkKMGiumn ]{0,12}"]
    }

    /// Found by the properties below: the exponent's absolute value
    /// overflowed (a panic in debug builds).
    #[test]
    fn the_smallest_exponent_is_out_of_range_not_a_panic() {
        for text in ["0e-2147483648", "1e-2147483648", "-1E-2147483648"] {
            assert!(scaled_ceil(text, 0).is_err(), "{text}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
        // Failures are kept as named unit tests, not in files.
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    })]

        #[test]
        fn any_text_is_a_quantity_or_an_error(text in text(), scale in -30i32..30) {
            let value = scaled_ceil(&text, scale);
            if let Err(error) = &value {
                prop_assert_eq!(&error.text, &text);
            }
            // What computes is in the grammar.
            prop_assert!(value.is_err() || is_quantity(&text), "{text:?} computed as {value:?}");
            if is_quantity(&text) {
                let _ = is_whole(&text);
            }
        }

        #[test]
        fn scales_agree_with_each_other(text in quantity(), scale in -12i32..12) {
            prop_assert!(is_quantity(&text), "{}", text);
            if let (Ok(a), Ok(b)) = (scaled_ceil(&text, scale), scaled_ceil(&text, scale + 1))
                && let Some(ten_a) = a.checked_mul(10)
            {
                let low = ten_a.saturating_sub(9);
                prop_assert!(low <= b && b <= ten_a, "{text:?}: {a} at 10^{scale}, {b} at 10^{}", scale + 1);
            }
        }

        #[test]
        fn whole_numbers_are_those_with_no_nano_fraction(text in quantity()) {
            // Exact in nano-units: at most 9 fraction digits below the suffix.
            let unsigned = text.strip_prefix(['+', '-']).unwrap_or(&text);
            let number_end = unsigned
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(unsigned.len());
            let (number, suffix) = unsigned.split_at(number_end);
            let fraction = number.split_once('.').map_or(0, |(_, f)| f.len());
            let exp10 = named_suffix(suffix).map(|(e, _)| i64::from(e)).or_else(|| suffix[1..].parse().ok());
            let exact = exp10.is_some_and(|e| e.saturating_sub(fraction as i64) >= -9);
            if let (true, Ok(value), Ok(nanos)) = (exact, scaled_ceil(&text, 0), scaled_ceil(&text, 9))
                && let Some(whole_nanos) = value.checked_mul(1_000_000_000)
            {
                prop_assert_eq!(is_whole(&text), nanos == whole_nanos, "{}", text);
            }
        }
    }
}
