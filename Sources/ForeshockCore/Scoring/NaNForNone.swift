/// An optional number held in the 8 bytes of a plain `Double`, NaN standing for nil: for state
/// every tracked post (or every post's features) carries, where `Double?`'s 16 bytes add up.
/// Equal when the values read back equal, so two "none"s are equal though NaN ≠ NaN.
/// A NaN assigned reads back as nil: no value here is meaningful as NaN.
@propertyWrapper
package struct NaNForNone: Sendable, Equatable {
    private var raw: Double

    package init(wrappedValue: Double?) {
        raw = wrappedValue ?? .nan
    }

    package var wrappedValue: Double? {
        get { raw.isNaN ? nil : raw }
        set { raw = newValue ?? .nan }
    }

    package static func == (a: NaNForNone, b: NaNForNone) -> Bool {
        a.wrappedValue == b.wrappedValue
    }
}
