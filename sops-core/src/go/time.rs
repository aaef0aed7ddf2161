//! Timestamps as Go reads and writes them: the YAML timestamp forms go-yaml accepts, RFC 3339
//! with nanoseconds (`time.RFC3339Nano`) and without (`time.RFC3339`), `time.Time.String()`,
//! and the current UTC time.

use std::time::{SystemTime, UNIX_EPOCH};

/// A parsed timestamp: civil date and time, nanoseconds, and the UTC offset in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CivilTime {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    offset_seconds: i32,
}

impl CivilTime {
    /// Go `time.RFC3339Nano`: fraction trimmed of trailing zeros, `Z` for a zero offset.
    pub fn rfc3339_nano(&self) -> String {
        let mut out = self.date_time();
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        out.push_str(&self.zone());
        out
    }

    /// Go `time.RFC3339`: no fractional seconds.
    pub fn rfc3339(&self) -> String {
        let mut out = self.date_time();
        out.push_str(&self.zone());
        out
    }

    fn date_time(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    fn zone(&self) -> String {
        if self.offset_seconds == 0 {
            return "Z".to_owned();
        }
        let sign = if self.offset_seconds < 0 { '-' } else { '+' };
        let abs = self.offset_seconds.unsigned_abs();
        format!("{sign}{:02}:{:02}", abs / 3600, (abs / 60) % 60)
    }

    /// The current time in UTC, whole seconds.
    pub fn now_utc() -> CivilTime {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        CivilTime {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: (rem / 60) % 60,
            second: rem % 60,
            nanos: 0,
            offset_seconds: 0,
        }
    }
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    /// One or two digits (Go's non-fixed `1`, `2`, `15`, `4`, `5` layout fields).
    fn short_num(&mut self) -> Option<u32> {
        let start = self.pos;
        while self.pos < self.s.len() && self.pos - start < 2 && self.s[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        if self.pos == start {
            return None;
        }
        std::str::from_utf8(&self.s[start..self.pos])
            .ok()?
            .parse()
            .ok()
    }

    fn fixed_num(&mut self, digits: usize) -> Option<u32> {
        let end = self.pos.checked_add(digits)?;
        let field = self.s.get(self.pos..end)?;
        if !field.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.pos = end;
        std::str::from_utf8(field).ok()?.parse().ok()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn done(&self) -> bool {
        self.pos == self.s.len()
    }
}

/// Parses a timestamp the way go-yaml v3 resolves unquoted scalars: RFC 3339 with `T` or `t`
/// and short date fields, a space-separated form without zone, or a date alone.
pub fn parse_yaml_timestamp(text: &str) -> Option<CivilTime> {
    let bytes = text.as_bytes();
    if bytes.len() < 5 || !bytes[..4].iter().all(u8::is_ascii_digit) || bytes[4] != b'-' {
        return None;
    }
    let mut c = Cursor { s: bytes, pos: 0 };
    let year = i64::from(c.fixed_num(4)?);
    c.eat(b'-');
    let month = c.short_num()?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.short_num()?;
    let mut t = CivilTime {
        year,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        offset_seconds: 0,
    };
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if c.done() {
        return Some(t);
    }
    let zoned = match bytes[c.pos] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return None,
    };
    c.pos += 1;
    t.hour = c.short_num()?;
    if !c.eat(b':') {
        return None;
    }
    t.minute = c.short_num()?;
    if !c.eat(b':') {
        return None;
    }
    t.second = c.short_num()?;
    if t.hour > 23 || t.minute > 59 || t.second > 59 {
        return None;
    }
    if c.eat(b'.') || c.eat(b',') {
        let start = c.pos;
        while c.pos < bytes.len() && bytes[c.pos].is_ascii_digit() {
            c.pos += 1;
        }
        let digits = &text[start..c.pos];
        if digits.is_empty() {
            return None;
        }
        let mut nanos: u32 = 0;
        for (i, d) in digits.bytes().take(9).enumerate() {
            nanos += u32::from(d - b'0') * 10u32.pow(8 - i as u32);
        }
        t.nanos = nanos;
    }
    if zoned {
        if c.eat(b'Z') {
        } else {
            let sign = match bytes.get(c.pos) {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            c.pos += 1;
            let h = c.fixed_num(2)?;
            if !c.eat(b':') {
                return None;
            }
            let m = c.fixed_num(2)?;
            if h > 23 || m > 59 {
                return None;
            }
            t.offset_seconds = sign * (h * 3600 + m * 60) as i32;
        }
    }
    c.done().then_some(t)
}

/// Parses strict RFC 3339 (Go `time.RFC3339` / `UnmarshalText`), fraction optional.
pub fn parse_rfc3339(text: &str) -> Option<CivilTime> {
    let b = text.as_bytes();
    let strict_shape = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b't')
        && b[13] == b':'
        && b[16] == b':';
    if !strict_shape {
        return None;
    }
    parse_yaml_timestamp(text)
}

/// Go `time.RFC3339` of a time written with `time.RFC3339Nano`: the text without its
/// fractional seconds.
pub(crate) fn rfc3339_seconds(rfc3339_nano: &str) -> String {
    let s = rfc3339_nano;
    match s.find('.') {
        Some(dot) => {
            let end = s[dot..]
                .find(|c: char| !c.is_ascii_digit() && c != '.')
                .map(|i| dot + i)
                .unwrap_or(s.len());
            format!("{}{}", &s[..dot], &s[end..])
        }
        None => s.to_owned(),
    }
}

/// Go's `time.Time.String()` of a time parsed from RFC 3339: `2001-12-14 21:59:43.1 -0500 -0500`
/// (`+0000 UTC` for `Z`).
pub(crate) fn time_string(rfc3339: &str) -> String {
    let (date, rest) = rfc3339.split_once('T').unwrap_or((rfc3339, ""));
    let (clock, zone) = rest.split_at(rest.find(['Z', '+', '-']).unwrap_or(rest.len()));
    match zone.replace(':', "").as_str() {
        "" | "Z" => format!("{date} {clock} +0000 UTC"),
        offset => format!("{date} {clock} {offset} {offset}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_formats() {
        let t = parse_yaml_timestamp("2001-12-14").unwrap();
        assert_eq!(t.rfc3339_nano(), "2001-12-14T00:00:00Z");
        let t = parse_yaml_timestamp("2001-12-14t21:59:43.10-05:00").unwrap();
        assert_eq!(t.rfc3339_nano(), "2001-12-14T21:59:43.1-05:00");
        assert_eq!(t.rfc3339(), "2001-12-14T21:59:43-05:00");
        let t = parse_yaml_timestamp("2001-1-2 3:04:05").unwrap();
        assert_eq!(t.rfc3339_nano(), "2001-01-02T03:04:05Z");
        assert_eq!(
            parse_rfc3339("2026-11-24T18:46:35.999+00:00")
                .unwrap()
                .rfc3339(),
            "2026-11-24T18:46:35Z"
        );
        assert!(parse_yaml_timestamp("2001-13-01").is_none());
        assert!(parse_yaml_timestamp("2001-02-30").is_none());
        assert!(parse_yaml_timestamp("12:30:00").is_none());
        assert!(parse_yaml_timestamp("2001-12-14 21:59:43.10 -5").is_none());
    }

    #[test]
    fn time_texts() {
        assert_eq!(
            rfc3339_seconds("2001-12-14T21:59:43.1-05:00"),
            "2001-12-14T21:59:43-05:00"
        );
        assert_eq!(
            rfc3339_seconds("2001-12-14T21:59:43Z"),
            "2001-12-14T21:59:43Z"
        );
        assert_eq!(
            time_string("2001-12-14T21:59:43.1-05:00"),
            "2001-12-14 21:59:43.1 -0500 -0500"
        );
        assert_eq!(
            time_string("2001-12-14T21:59:43Z"),
            "2001-12-14 21:59:43 +0000 UTC"
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_781), (2026, 11, 24));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
