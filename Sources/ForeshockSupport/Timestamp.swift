import Foundation

/// RFC 3339 times as the APIs write them: with or without fractional seconds, `Z` or an offset.
package enum Timestamp {
    /// Parses RFC 3339 (`2026-11-24T07:19:04Z`, `...04.123456+02:00`), or nil.
    package static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19 else { return nil }
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + count)] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0, 4), bytes[4] == 45, let month = number(5, 2), bytes[7] == 45,
              let day = number(8, 2), bytes[10] == 84 || bytes[10] == 116 || bytes[10] == 32,
              let hour = number(11, 2), bytes[13] == 58, let minute = number(14, 2), bytes[16] == 58,
              let second = number(17, 2),
              (1...12).contains(month), (1...daysIn(month, of: year)).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, (48...57).contains(bytes[index]) {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
            if index == start { return nil }
        }
        var offset = 0
        if index < bytes.count, bytes[index] == 90 || bytes[index] == 122 {
            index += 1
        } else if index < bytes.count, bytes[index] == 43 || bytes[index] == 45 {
            let sign = bytes[index] == 45 ? -1 : 1
            guard let hours = number(index + 1, 2) else { return nil }
            index += 3
            var minutes = 0
            if index < bytes.count, bytes[index] == 58 { index += 1 }
            if let m = number(index, 2) {
                minutes = m
                index += 2
            }
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Double(days * 86400 + hour * 3600 + minute * 60 + second - offset) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    /// The same instant in UTC with a `Z`, keeping exactly the fractional digits the source
    /// wrote (`2025-02-07T22:21:22.374+02:00` → `2025-02-07T20:21:22.374Z`), or nil if it is not
    /// RFC 3339.
    package static func normalize(_ text: String) -> String? {
        guard let date = parse(text) else { return nil }
        let bytes = Array(text.utf8)
        var fraction = ""
        if bytes.count > 19, bytes[19] == 46 {
            fraction = "." + String(decoding: bytes[20...].prefix { (48...57).contains($0) }, as: UTF8.self)
        }
        let whole = (date.timeIntervalSince1970 - (Double("0" + fraction) ?? 0)).rounded()
        return format(Date(timeIntervalSince1970: whole)).dropLast() + fraction + "Z"
    }

    /// Epoch seconds (Reddit's `created_utc`, Algolia's `created_at_i`) as RFC 3339 UTC.
    package static func fromEpoch(_ seconds: Double) -> String {
        format(Date(timeIntervalSince1970: seconds))
    }

    /// Epoch seconds from an API that sends seconds, if they fall from 1973 to 2096: one in
    /// milliseconds, or garbage, is a value misread (nil), not the year 9999.
    package static func fromEpochSeconds(_ seconds: Double) -> String? {
        seconds.isFinite && (1e8...4e9).contains(seconds) ? fromEpoch(seconds) : nil
    }

    /// February 31st is no day: read as March 3rd it would be a wrong time, not a missing one.
    static func daysIn(_ month: Int, of year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// HTTP's date (`Sun, 24 Nov 2024 07:19:04 GMT`, RFC 9110's IMF-fixdate).
    package static let httpDateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    /// The mail form of it, with a numeric zone (`Sun, 24 Nov 2024 07:19:04 +0000`).
    package static let mailDateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"

    /// A date in the first of `formats` that reads it (English names, GMT unless it says), or nil.
    package static func parseHTTPDate(_ text: String, formats: [String] = [httpDateFormat]) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in formats {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }

    /// RFC 3339 in UTC; with milliseconds only when the time has them. A time outside the years
    /// 0001–9999 (which RFC 3339 cannot write) is written as the nearest it can.
    package static func format(_ date: Date) -> String {
        let raw = date.timeIntervalSince1970
        let total = raw.isNaN ? 0 : min(max(raw, -62_135_596_800), 253_402_300_799)
        var seconds = Int(total.rounded(.down))
        var millis = Int(((total - Double(seconds)) * 1000).rounded())
        if millis == 1000 { seconds += 1; millis = 0 }
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let (year, month, day) = civilFromDays(days)
        // By hand: `String(format:)` goes through CFString and is most of what writing a
        // recording line costs.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            let rest = abs(value)
            while rest / divisor >= 10 { divisor *= 10 }
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            while divisor > 0 {
                bytes.append(UInt8(48 + rest / divisor % 10))
                divisor /= 10
            }
        }
        digits(year, 4); bytes.append(UInt8(ascii: "-")); digits(month, 2); bytes.append(UInt8(ascii: "-")); digits(day, 2)
        bytes.append(UInt8(ascii: "T")); digits(secondOfDay / 3600, 2); bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2); bytes.append(UInt8(ascii: ":")); digits(secondOfDay % 60, 2)
        if millis != 0 { bytes.append(UInt8(ascii: ".")); digits(millis, 3) }
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    package static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
