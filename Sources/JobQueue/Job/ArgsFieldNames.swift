import Foundation

/// The top-level field names a kind's arguments have, read from the type itself: the decoded
/// value is encoded once into an encoder that only writes down keys, optional ones included
/// (`encodeIfPresent` records its key even for nil, where JSONEncoder would skip it). So an
/// enqueue can refuse `{"yaer": 2026}` naming the fields `backup-month` takes, without each kind
/// listing them by hand. Only enqueuers check; a worker accepts fields it does not know, as a
/// newer enqueuer may write them.
enum ArgsFieldNames {
    /// Whether `args` refuses fields it does not have (every kind's but a ``FreeFormJobArgs``).
    static func areChecked(_ args: some Encodable) -> Bool { !(args is any FreeFormJobArgs) }

    static func of<Args: Encodable>(_ value: Args) -> [String] {
        let recorder = KeyRecorder()
        try? value.encode(to: recorder)
        return recorder.keys
    }

    /// The field names of `Args` when `given` does not decode because fields are missing (a
    /// typo leaves the real one out): each missing field is filled with a stand-in of the first
    /// shape that decodes (0, "", false, [], {}), only to learn the type's fields. Nil when it
    /// still does not decode, or for arguments that take any fields.
    static func completing<Args: Codable>(_ type: Args.Type, _ given: [String: Any]) -> [String]? {
        var object = given
        for _ in 0..<12 {
            let data: Data
            do { data = try JSONSerialization.data(withJSONObject: object) } catch { return nil }
            do {
                let value = try JSONDecoder.jobArgs.decode(Args.self, from: data)
                return areChecked(value) ? of(value) : nil
            } catch DecodingError.keyNotFound(let key, let context) where context.codingPath.isEmpty {
                guard let filler = standIn(for: Args.self, key: key.stringValue, in: object) else { return nil }
                object[key.stringValue] = filler
            } catch {
                return nil
            }
        }
        return nil
    }

    private static func standIn<Args: Decodable>(for type: Args.Type, key: String, in object: [String: Any]) -> Any? {
        for candidate in [0, "", false, [Any](), [String: Any]()] as [Any] {
            var attempt = object
            attempt[key] = candidate
            guard let data = try? JSONSerialization.data(withJSONObject: attempt) else { continue }
            do {
                _ = try JSONDecoder.jobArgs.decode(Args.self, from: data)
                return candidate
            } catch DecodingError.keyNotFound(let next, _) where next.stringValue != key {
                return candidate
            } catch {
                continue
            }
        }
        return nil
    }
}

/// Arguments that take any fields and ignore those they do not have (``NoopJob``): an enqueue
/// does not refuse an unknown field for them.
public protocol FreeFormJobArgs {}

private final class KeyRecorder: Encoder, @unchecked Sendable {
    var keys: [String] = []
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(Keys<Key>(recorder: self))
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { Ignored() }
    func singleValueContainer() -> any SingleValueEncodingContainer { Ignored() }

    func record(_ key: any CodingKey) { if !keys.contains(key.stringValue) { keys.append(key.stringValue) } }

    /// Records each key it is given, present or not; never looks inside the values.
    struct Keys<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let recorder: KeyRecorder
        var codingPath: [any CodingKey] { [] }
        mutating func encodeNil(forKey key: Key) throws { recorder.record(key) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { recorder.record(key) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { recorder.record(key) }
        mutating func encode(_ value: String, forKey key: Key) throws { recorder.record(key) }
        mutating func encode(_ value: Double, forKey key: Key) throws { recorder.record(key) }
        mutating func encode(_ value: Float, forKey key: Key) throws { recorder.record(key) }
        mutating func encode(_ value: Int, forKey key: Key) throws { recorder.record(key) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { recorder.record(key) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { recorder.record(key) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { recorder.record(key) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { recorder.record(key) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { recorder.record(key) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { recorder.record(key) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { recorder.record(key) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { recorder.record(key) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { recorder.record(key) }
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { recorder.record(key) }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { recorder.record(key) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { recorder.record(key) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { recorder.record(key) }
        mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { recorder.record(key) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { recorder.record(key) }
        mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { recorder.record(key) }
        mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { recorder.record(key) }
        mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { recorder.record(key) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { recorder.record(key) }
        mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { recorder.record(key) }
        mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { recorder.record(key) }
        mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { recorder.record(key) }
        mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { recorder.record(key) }
        mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { recorder.record(key) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            recorder.record(key)
            return KeyedEncodingContainer(Keys<NestedKey>(recorder: KeyRecorder()))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            recorder.record(key)
            return Ignored()
        }
        mutating func superEncoder() -> any Encoder { KeyRecorder() }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            recorder.record(key)
            return KeyRecorder()
        }
    }

    /// Takes anything and keeps nothing: values are not looked at.
    struct Ignored: UnkeyedEncodingContainer, SingleValueEncodingContainer {
        var codingPath: [any CodingKey] { [] }
        var count: Int { 0 }
        mutating func encodeNil() throws {}
        mutating func encode<T: Encodable>(_ value: T) throws {}
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Keys<NestedKey>(recorder: KeyRecorder()))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { Ignored() }
        mutating func superEncoder() -> any Encoder { KeyRecorder() }
    }
}
