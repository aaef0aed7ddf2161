//! Floats as Go formats them: `strconv.FormatFloat` with the `'f'` and `'g'` verbs and the
//! shortest precision (-1), and `encoding/json`'s float encoding.
//!
//! Rust's `{}` and `{:e}` already give the shortest digits that round-trip, as Go's shortest
//! precision does; only the choice between positional and exponent form and the exponent's
//! spelling differ.

use std::fmt;

/// Go `strconv.FormatFloat(f, 'f', -1, 64)`: positional, `NaN`, `+Inf`, `-Inf`.
pub(crate) fn float_f(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{f}")
    }
}

/// Go `strconv.FormatFloat(v, 'g', -1, 64)`: positional for decimal exponents -4 to 5, else
/// exponent form with a signed exponent of at least two digits (`1.234567e+06`, `1e-05`);
/// `NaN`, `+Inf`, `-Inf`.
pub(crate) fn float_g(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Shortest round-trip digits and decimal exponent from Rust's `{:e}`.
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
        return out;
    }
    out.push_str(&format!("{}", v.abs()));
    out
}

/// A finite float as Go's `encoding/json` writes it, for `write!`: shortest round-trip digits,
/// positional for 1e-6 <= |f| < 1e21 (and zero), otherwise exponent form with a signed,
/// unpadded exponent (`1e+21`, `1e-7`).
pub(crate) struct JsonFloat(pub(crate) f64);

impl fmt::Display for JsonFloat {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let f = self.0;
        let abs = f.abs();
        if abs == 0.0 || (1e-6..1e21).contains(&abs) {
            return write!(out, "{f}");
        }
        let sci = format!("{f:e}");
        let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
        match exp.strip_prefix('-') {
            Some(digits) => write!(out, "{mantissa}e-{digits}"),
            None => write!(out, "{mantissa}e+{exp}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f_format() {
        assert_eq!(float_f(1e21), "1000000000000000000000");
        assert_eq!(float_f(0.000001), "0.000001");
        assert_eq!(float_f(-2.5), "-2.5");
        assert_eq!(float_f(3.0), "3");
        assert_eq!(float_f(f64::NAN), "NaN");
        assert_eq!(float_f(f64::NEG_INFINITY), "-Inf");
    }

    #[test]
    fn g_format() {
        assert_eq!(float_g(1234567.0), "1.234567e+06");
        assert_eq!(float_g(123456.5), "123456.5");
        assert_eq!(float_g(100000.0), "100000");
        assert_eq!(float_g(1.0), "1");
        assert_eq!(float_g(0.0001), "0.0001");
        assert_eq!(float_g(0.00001), "1e-05");
        assert_eq!(float_g(-0.0), "-0");
        assert_eq!(float_g(1e21), "1e+21");
        assert_eq!(float_g(1e-7), "1e-07");
        assert_eq!(float_g(0.75), "0.75");
        assert_eq!(float_g(-2.5e-10), "-2.5e-10");
        assert_eq!(float_g(f64::INFINITY), "+Inf");
        assert_eq!(float_g(f64::NAN), "NaN");
    }

    #[test]
    fn json_format() {
        let json = |f: f64| JsonFloat(f).to_string();
        assert_eq!(json(1e21), "1e+21");
        assert_eq!(json(1e-7), "1e-7");
        assert_eq!(json(-1.5e-7), "-1.5e-7");
        assert_eq!(json(0.000001), "0.000001");
        assert_eq!(json(1e20), "100000000000000000000");
        assert_eq!(json(3.0), "3");
        assert_eq!(json(0.0), "0");
        assert_eq!(json(-0.0), "-0");
    }
}
