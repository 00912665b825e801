//! Exact arithmetic on Kubernetes quantity strings (`500m`, `64Mi`, `1e3`),
//! as both sides of the protocol need it: the host for `resourceFieldRef`
//! and node resources, plugins for CPU shares, quotas and memory limits.
//! Values are rounded up as `resource.Quantity`'s `Value()` and
//! `MilliValue()` round. Written here because the quantity crates offer
//! float conversions or decimal arithmetic, not this exact rounding (a
//! divisor of `1m` must give `250` for `250m`, not `251`).

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
            if exponent.abs() > 40 {
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
    use super::scaled_ceil;

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
