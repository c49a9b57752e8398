/// Splits a migration file into single statements, since the extended query protocol runs one
/// statement at a time. Understands quotes, `$tag$` bodies and both kinds of comment.
public enum SQLStatementSplitter {
    public static func split(_ sql: String) -> [String] {
        let chars = Array(sql.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0

        func flush() {
            let text = String(current).trimmingWhitespace()
            if !text.isEmpty && !isOnlyComments(text) { statements.append(text) }
            current = String.UnicodeScalarView()
        }

        while index < chars.count {
            let c = chars[index]
            let next: Unicode.Scalar? = index + 1 < chars.count ? chars[index + 1] : nil
            switch c {
            case "-" where next == "-":
                while index < chars.count && chars[index] != "\n" { current.append(chars[index]); index += 1 }
                continue
            case "/" where next == "*":
                var depth = 0
                repeat {
                    if chars[index] == "/" && index + 1 < chars.count && chars[index + 1] == "*" {
                        depth += 1; current.append(chars[index]); current.append(chars[index + 1]); index += 2
                    } else if chars[index] == "*" && index + 1 < chars.count && chars[index + 1] == "/" {
                        depth -= 1; current.append(chars[index]); current.append(chars[index + 1]); index += 2
                    } else {
                        current.append(chars[index]); index += 1
                    }
                } while depth > 0 && index < chars.count
                continue
            case "'", "\"":
                current.append(c); index += 1
                while index < chars.count {
                    current.append(chars[index])
                    if chars[index] == c {
                        if index + 1 < chars.count && chars[index + 1] == c {
                            current.append(chars[index + 1]); index += 2; continue
                        }
                        index += 1; break
                    }
                    index += 1
                }
                continue
            case "$":
                if let tagEnd = dollarTagEnd(chars, from: index) {
                    let tag = Array(chars[index...tagEnd])
                    for s in tag { current.append(s) }
                    index = tagEnd + 1
                    while index < chars.count {
                        if chars[index] == "$" && index + tag.count <= chars.count
                            && Array(chars[index..<(index + tag.count)]) == tag {
                            for s in tag { current.append(s) }
                            index += tag.count
                            break
                        }
                        current.append(chars[index]); index += 1
                    }
                    continue
                }
            case ";":
                flush(); index += 1
                continue
            default:
                break
            }
            current.append(c)
            index += 1
        }
        flush()
        return statements
    }

    /// `$$` or `$tag$` starting at `start`: the index of the closing `$` of the tag.
    private static func dollarTagEnd(_ chars: [Unicode.Scalar], from start: Int) -> Int? {
        var i = start + 1
        while i < chars.count {
            let c = chars[i]
            if c == "$" { return i }
            let isTagChar = c == "_" || (c.properties.isAlphabetic) || (i > start + 1 && ("0"..."9").contains(c))
            if !isTagChar { return nil }
            i += 1
        }
        return nil
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { $0.trimmingWhitespace().isEmpty || $0.trimmingWhitespace().hasPrefix("--") }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
