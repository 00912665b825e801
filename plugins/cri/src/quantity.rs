//! Kubernetes resource quantities (`500m`, `64Mi`, `1e3`) as the exact
//! integers CPU shares, CFS quotas, memory limits and the QoS class need;
//! the arithmetic is the SDK's (`vk_plugin_sdk::quantity`, shared with the
//! host).

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
pub use vk_plugin_sdk::quantity::QuantityError;
use vk_plugin_sdk::quantity::scaled_ceil;

/// `text` in billionths of a unit (exact for every suffix; smaller
/// fractions are rounded up, as the API server rounds them).
pub fn parse_nanos(text: &str) -> Result<i128, QuantityError> {
    scaled_ceil(text, 9)
}

/// The quantity in thousandths, rounded up (`Quantity.MilliValue`).
pub fn milli_value(quantity: &Quantity) -> Result<i64, QuantityError> {
    to_i64(scaled_ceil(&quantity.0, 3)?, quantity)
}

/// The quantity in whole units, rounded up (`Quantity.Value`).
pub fn value(quantity: &Quantity) -> Result<i64, QuantityError> {
    to_i64(scaled_ceil(&quantity.0, 0)?, quantity)
}

fn to_i64(value: i128, quantity: &Quantity) -> Result<i64, QuantityError> {
    i64::try_from(value).map_err(|_| QuantityError {
        text: quantity.0.clone(),
    })
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
            "\"lots\" is not a Kubernetes quantity (e.g. \"500m\", \"64Mi\", \"2\") or is out of range"
        );
    }
}
