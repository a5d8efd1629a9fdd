/// Exact fixed-point helpers for DECIMAL values stored as unscaled `Int128`.
package enum DecimalArithmetic {
    /// 10^n for n in 0...38.
    package static let powersOfTen: [Int128] = {
        var result: [Int128] = [1]
        for _ in 1...38 { result.append(result.last! * 10) }
        return result
    }()

    /// The largest unscaled magnitude of a DECIMAL(precision, _).
    package static func maxUnscaled(precision: Int) -> Int128 { powersOfTen[precision] - 1 }

    /// Rescales `value` from scale `from` to scale `to`, rounding half away from zero when reducing.
    /// - Returns: `nil` on overflow.
    package static func rescale(_ value: Int128, from: Int, to: Int) -> Int128? {
        if from == to { return value }
        // Past 38 digits of shift: any non-zero value overflows upward, and everything rounds
        // to 0 downward (|value| < 2^127 < 10^39 / 2).
        if to - from > 38 { return value == 0 ? 0 : nil }
        if from - to > 38 { return 0 }
        if to > from {
            let (result, overflow) = value.multipliedReportingOverflow(by: powersOfTen[to - from])
            return overflow ? nil : result
        }
        let divisor = powersOfTen[from - to]
        var quotient = value / divisor
        let remainder = value % divisor
        if remainder.magnitude * 2 >= divisor.magnitude { quotient += value < 0 ? -1 : 1 }
        return quotient
    }

    /// Parses a decimal literal (`-12.345`, `1e3`, `.5`) into an unscaled value at `scale`.
    /// - Returns: `nil` when the text is not a number or does not fit `precision`.
    package static func parse(_ bytes: UnsafeBufferPointer<UInt8>, precision: Int, scale: Int) -> Int128? {
        var i = 0
        let n = bytes.count
        guard n > 0 else { return nil }
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            i = 1
        }
        var unscaled: Int128 = 0
        var digitsSeen = 0
        var fractionDigits = 0
        var inFraction = false
        var roundUp = false
        var extraFraction = false
        while i < n {
            let c = bytes[i]
            if c &- 48 < 10 {
                digitsSeen += 1
                if inFraction {
                    if fractionDigits < scale {
                        guard let next = appendingDigit(unscaled, c - 48) else { return nil }
                        unscaled = next
                        fractionDigits += 1
                    } else if !extraFraction {
                        extraFraction = true
                        roundUp = c >= UInt8(ascii: "5")
                    }
                } else {
                    guard let next = appendingDigit(unscaled, c - 48) else { return nil }
                    unscaled = next
                }
            } else if c == UInt8(ascii: "."), !inFraction {
                inFraction = true
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                // Scientific notation: fall back to a slower exact path through the digits.
                return parseScientific(bytes, precision: precision, scale: scale)
            } else {
                return nil
            }
            i += 1
        }
        guard digitsSeen > 0 else { return nil }
        while fractionDigits < scale {
            guard let next = appendingDigit(unscaled, 0) else { return nil }
            unscaled = next
            fractionDigits += 1
        }
        if roundUp { unscaled += 1 }  // ≤ 10^38, far below Int128.max
        guard unscaled <= maxUnscaled(precision: precision) else { return nil }
        return negative ? -unscaled : unscaled
    }

    /// `value * 10 + digit`, or nil when that would need more than 38 digits (more than any
    /// DECIMAL holds). Checked before multiplying, so it never overflows `Int128`.
    @inline(__always)
    private static func appendingDigit(_ value: Int128, _ digit: UInt8) -> Int128? {
        guard value < powersOfTen[37] else { return nil }
        return value * 10 + Int128(digit)
    }

    private static func parseScientific(_ bytes: UnsafeBufferPointer<UInt8>, precision: Int, scale: Int) -> Int128? {
        guard let e = bytes.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else {
            return nil
        }
        let mantissa = UnsafeBufferPointer(rebasing: bytes[..<e])
        let exponentText = String(decoding: bytes[(e + 1)...], as: UTF8.self)
        guard let exponent = Int(exponentText), exponent.magnitude <= 38 else { return nil }
        let innerScale = min(38, max(0, scale - exponent))
        guard let base = parse(mantissa, precision: 38, scale: innerScale) else { return nil }
        let shift = exponent + innerScale - scale
        let result: Int128?
        if shift >= 0 {
            result = rescale(base, from: 0, to: shift)
        } else {
            result = rescale(base, from: -shift, to: 0)
        }
        guard let r = result, r.magnitude <= maxUnscaled(precision: precision).magnitude else { return nil }
        return r
    }

    package static func parse(_ string: String, precision: Int, scale: Int) -> Int128? {
        var s = string
        return s.withUTF8 { parse($0, precision: precision, scale: scale) }
    }

    /// Formats an unscaled value with exactly `scale` fraction digits (`"10.50"`).
    package static func format(_ value: Int128, scale: Int) -> String {
        var out = [UInt8]()
        append(value, scale: scale, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    package static func append(_ value: Int128, scale: Int, to out: inout [UInt8]) {
        var magnitude = value.magnitude
        var digits = [UInt8]()
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        while digits.count <= scale { digits.append(UInt8(ascii: "0")) }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        for (i, d) in digits.reversed().enumerated() {
            if i == digits.count - scale { out.append(UInt8(ascii: ".")) }
            out.append(d)
        }
    }

    /// The value as a `Double` (for mixed arithmetic with floating point).
    package static func toDouble(_ value: Int128, scale: Int) -> Double {
        Double(value) / Double(powersOfTen[scale])
    }
}
