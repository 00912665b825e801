//! Exact Kubernetes quantities for `resourceFieldRef`: `Value()` and
//! `MilliValue()` (both rounded up, as resource.Quantity does) of a
//! quantity string. Written here because the quantity crates offer float
//! conversions or decimal arithmetic but not this exact rounding, and a
//! divisor of `1m` must give `250` for `250m`, not `251`.

/// `ceil(quantity × 10^scale)`: scale 0 is `Value()`, 3 is `MilliValue()`.
/// `None` for text that is not a quantity or a value beyond i128.
pub fn scaled_ceil(text: &str, scale: i32) -> Option<i128> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let number_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(number_end);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return None;
    }
    let digits = format!("{whole}{fraction}");
    if digits.len() > 30 {
        return None;
    }
    let mantissa: i128 = digits.parse().ok()?;
    let (exp10, exp2) = suffix_exponents(suffix)?;
    let exponent10 = exp10 + scale - i32::try_from(fraction.len()).ok()?;
    let magnitude = scale_exact(mantissa, exponent10, exp2, !negative)?;
    Some(if negative { -magnitude } else { magnitude })
}

/// Decimal and binary exponents of a suffix: `k` = 10^3, `Ki` = 2^10,
/// `e3` = 10^3, `m` = 10^-3.
fn suffix_exponents(suffix: &str) -> Option<(i32, u32)> {
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
        _ => {
            let exponent = suffix.strip_prefix(['e', 'E'])?;
            (exponent.parse().ok().filter(|e: &i32| e.abs() <= 40)?, 0)
        }
    })
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
    fn values_and_milli_values() {
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
            ("-1.5", -1, -1500),
        ] {
            assert_eq!(scaled_ceil(text, 0), Some(value), "Value of {text}");
            assert_eq!(scaled_ceil(text, 3), Some(milli), "MilliValue of {text}");
        }
    }

    #[test]
    fn garbage_is_refused() {
        for text in ["", "abc", "1.2.3", "1Xi", "1e", ".", "1e99"] {
            assert_eq!(scaled_ceil(text, 0), None, "{text:?}");
        }
    }
}
