//! Kubernetes resource quantities (`500m`, `64Mi`, `1e3`) as exact integers,
//! rounded up as `resource.Quantity`'s `MilliValue` and `Value` round, for
//! CPU shares, CFS quotas, memory limits and the QoS class.

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// One unit in nano-units: values are held as integer billionths.
const NANO: i128 = 1_000_000_000;

/// A quantity that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a Kubernetes quantity (e.g. \"500m\", \"64Mi\", \"2\")")]
pub struct QuantityError {
    pub text: String,
}

/// Parses `text` into billionths of a unit (exact for every suffix;
/// smaller fractions are rounded up, as the API server rounds them).
pub fn parse_nanos(text: &str) -> Result<i128, QuantityError> {
    let error = || QuantityError {
        text: text.to_owned(),
    };
    let trimmed = text.trim();
    let (negative, unsigned) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let number_end = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_end);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return Err(error());
    }
    let (power_of_ten, power_of_two): (i32, u32) = match suffix {
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
        exponent => {
            let digits = exponent.strip_prefix(['e', 'E']).ok_or_else(error)?;
            let value: i32 = digits.parse().map_err(|_| error())?;
            if !(-30..=30).contains(&value) {
                return Err(error());
            }
            (value, 0)
        }
    };
    let digits = format!("{whole}{fraction}");
    let mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| error())?
    };
    // value = mantissa × 10^(power_of_ten − fraction digits) × 2^power_of_two,
    // in nano-units: one more factor 10^9.
    let scale = power_of_ten + 9 - i32::try_from(fraction.len()).map_err(|_| error())?;
    let mut nanos = mantissa
        .checked_mul(1i128 << power_of_two)
        .ok_or_else(error)?;
    if scale >= 0 {
        nanos = nanos
            .checked_mul(10i128.checked_pow(scale.unsigned_abs()).ok_or_else(error)?)
            .ok_or_else(error)?;
    } else {
        let divisor = 10i128.checked_pow(scale.unsigned_abs()).ok_or_else(error)?;
        nanos = ceil_div(nanos, divisor);
    }
    Ok(if negative { -nanos } else { nanos })
}

/// The quantity in thousandths, rounded up (`Quantity.MilliValue`).
pub fn milli_value(quantity: &Quantity) -> Result<i64, QuantityError> {
    to_i64(ceil_div(parse_nanos(&quantity.0)?, NANO / 1000), quantity)
}

/// The quantity in whole units, rounded up (`Quantity.Value`).
pub fn value(quantity: &Quantity) -> Result<i64, QuantityError> {
    to_i64(ceil_div(parse_nanos(&quantity.0)?, NANO), quantity)
}

fn to_i64(value: i128, quantity: &Quantity) -> Result<i64, QuantityError> {
    i64::try_from(value).map_err(|_| QuantityError {
        text: quantity.0.clone(),
    })
}

fn ceil_div(value: i128, divisor: i128) -> i128 {
    let quotient = value / divisor;
    if value % divisor > 0 {
        quotient + 1
    } else {
        quotient
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Quantity {
        Quantity(text.into())
    }

    #[test]
    fn cpu_in_millis() {
        for (text, milli) in [
            ("1", 1000),
            ("500m", 500),
            ("0.5", 500),
            ("2.25", 2250),
            ("100u", 1),
            ("1n", 1),
            ("0", 0),
            ("1e3", 1_000_000),
            ("1k", 1_000_000),
            ("+3", 3000),
        ] {
            assert_eq!(milli_value(&q(text)), Ok(milli), "{text}");
        }
    }

    #[test]
    fn memory_in_bytes() {
        for (text, bytes) in [
            ("64Mi", 64 << 20),
            ("1Gi", 1 << 30),
            ("1.5Gi", 3 << 29),
            ("128974848", 128_974_848),
            ("129e6", 129_000_000),
            ("129M", 129_000_000),
            ("1Ki", 1024),
            ("1m", 1),
            ("7Ei", 7 << 60),
        ] {
            assert_eq!(value(&q(text)), Ok(bytes), "{text}");
        }
    }

    #[test]
    fn garbage_is_an_error_naming_the_text() {
        for bad in ["", "Mi", "1.2.3", "12 Gi", "5x", "1e", "e3", "1e99", "99Ei"] {
            let outcome = value(&q(bad));
            assert!(outcome.is_err(), "{bad}: {outcome:?}");
        }
        assert_eq!(
            value(&q("lots")).expect_err("lots").to_string(),
            "\"lots\" is not a Kubernetes quantity (e.g. \"500m\", \"64Mi\", \"2\")"
        );
    }
}
