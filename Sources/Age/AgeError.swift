/// What went wrong reading or writing an age file, in words for the person holding it.
public enum AgeError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A recipient (`age1…`) that does not parse: the text is not shown in full.
    case badRecipient(String)
    /// An identity line (`AGE-SECRET-KEY-1…`) that does not parse; never shows the key.
    case badIdentity(String)
    /// The header is not an age v1 header, or breaks its rules.
    case badHeader(String)
    /// No stanza in the header opens with the identities given.
    case noMatchingIdentity
    /// The header's MAC does not match: the header was changed.
    case badHeaderMAC
    /// A payload chunk failed authentication: flipped bytes, reordered or cut-off chunks.
    case badPayload(String)
    /// The file ends before the payload's last chunk.
    case truncated(String)

    public var description: String {
        switch self {
        case .badRecipient(let why): "not an age recipient: \(why)"
        case .badIdentity(let why): "not an age identity: \(why)"
        case .badHeader(let why): "not a valid age file: \(why)"
        case .noMatchingIdentity: "the file is not encrypted to any of the identities given (encrypted to another key?)"
        case .badHeaderMAC: "the age header's MAC does not match: the header was altered or the file is corrupt"
        case .badPayload(let why): "the encrypted payload does not authenticate (\(why)): the file was altered or is corrupt"
        case .truncated(let why): "the encrypted file is truncated: \(why)"
        }
    }
}
