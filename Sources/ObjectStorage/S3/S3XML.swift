import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import NightshiftCore
import NIOCore

/// The few S3 XML documents this client reads, parsed into flat values. Unknown elements are
/// ignored; a document that does not parse yields nothing (the caller then reports the HTTP
/// status), never a crash. External entities are never resolved.
enum S3XML {
    struct ErrorBody: Equatable { var code: String?; var message: String? }

    struct ListPage: Equatable {
        var objects: [ObjectInfo] = []
        var isTruncated = false
        var nextContinuationToken: String?
    }

    struct UploadsPage: Equatable {
        var uploads: [(key: String, uploadID: String)] = []
        var isTruncated = false
        var nextKeyMarker: String?
        var nextUploadIDMarker: String?

        static func == (a: UploadsPage, b: UploadsPage) -> Bool {
            a.uploads.map(\.key) == b.uploads.map(\.key) && a.uploads.map(\.uploadID) == b.uploads.map(\.uploadID)
                && a.isTruncated == b.isTruncated && a.nextKeyMarker == b.nextKeyMarker && a.nextUploadIDMarker == b.nextUploadIDMarker
        }
    }

    /// `<Error><Code>…</Code><Message>…</Message></Error>`, when the body is one.
    static func error(in body: ByteBuffer) -> ErrorBody? {
        let elements = parse(body)
        guard elements.first?.path == ["Error"] else { return nil }
        return ErrorBody(code: elements.first { $0.path == ["Error", "Code"] }?.text,
                         message: elements.first { $0.path == ["Error", "Message"] }?.text)
    }

    static func listPage(_ body: ByteBuffer) -> ListPage? {
        let elements = parse(body)
        guard elements.first?.path.first == "ListBucketResult" else { return nil }
        var page = ListPage()
        var current: ObjectInfo?
        for element in elements {
            switch element.path {
            case ["ListBucketResult", "Contents"]:
                if let current { page.objects.append(current) }
                current = ObjectInfo(key: "", size: 0)
            case ["ListBucketResult", "Contents", "Key"]: current?.key = element.text
            case ["ListBucketResult", "Contents", "Size"]: current?.size = Int64(element.text) ?? 0
            case ["ListBucketResult", "Contents", "LastModified"]: current?.lastModified = timestamp(element.text)
            case ["ListBucketResult", "IsTruncated"]: page.isTruncated = element.text == "true"
            case ["ListBucketResult", "NextContinuationToken"]: page.nextContinuationToken = element.text
            default: break
            }
        }
        if let current { page.objects.append(current) }
        page.objects.removeAll { $0.key.isEmpty }
        return page
    }

    static func uploadsPage(_ body: ByteBuffer) -> UploadsPage? {
        let elements = parse(body)
        guard elements.first?.path.first == "ListMultipartUploadsResult" else { return nil }
        var page = UploadsPage()
        var key: String?
        var uploadID: String?
        func flush() {
            if let key, let uploadID { page.uploads.append((key, uploadID)) }
            key = nil
            uploadID = nil
        }
        for element in elements {
            switch element.path {
            case ["ListMultipartUploadsResult", "Upload"]: flush()
            case ["ListMultipartUploadsResult", "Upload", "Key"]: key = element.text
            case ["ListMultipartUploadsResult", "Upload", "UploadId"]: uploadID = element.text
            case ["ListMultipartUploadsResult", "IsTruncated"]: page.isTruncated = element.text == "true"
            case ["ListMultipartUploadsResult", "NextKeyMarker"]: page.nextKeyMarker = element.text
            case ["ListMultipartUploadsResult", "NextUploadIdMarker"]: page.nextUploadIDMarker = element.text
            default: break
            }
        }
        flush()
        return page
    }

    /// `<InitiateMultipartUploadResult><UploadId>…`.
    static func uploadID(_ body: ByteBuffer) -> String? {
        parse(body).first { $0.path == ["InitiateMultipartUploadResult", "UploadId"] }?.text
    }

    /// Keys a multi-object delete reported as failed, with their codes.
    static func deleteErrors(_ body: ByteBuffer) -> [(key: String, code: String)] {
        var errors: [(String, String)] = []
        var key = "", code = ""
        for element in parse(body) {
            switch element.path {
            case ["DeleteResult", "Error"]:
                if !key.isEmpty { errors.append((key, code)) }
                key = ""; code = ""
            case ["DeleteResult", "Error", "Key"]: key = element.text
            case ["DeleteResult", "Error", "Code"]: code = element.text
            default: break
            }
        }
        if !key.isEmpty { errors.append((key, code)) }
        return errors
    }

    /// XML-escaped text, for request bodies.
    static func escape(_ text: String) -> String { Markup.escape(text) }

    static func timestamp(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }

    /// Each element in document order: its path from the root and its text.
    struct Element { var path: [String]; var text: String }

    static func parse(_ body: ByteBuffer) -> [Element] {
        guard body.readableBytes > 0, body.readableBytes < 32 * 1024 * 1024 else { return [] }
        let collector = Collector()
        let parser = XMLParser(data: Data(body.readableBytesView))
        parser.shouldResolveExternalEntities = false
        parser.delegate = collector
        // A body cut off mid-document can parse "successfully" on Linux (libxml2 stops at the
        // end of the data): every element opened must have been closed, or it is not a listing.
        guard parser.parse(), collector.isComplete else { return [] }
        return collector.elements
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var elements: [Element] = []
        private var path: [String] = []
        private var open: [Int] = []
        var isComplete: Bool { !elements.isEmpty && path.isEmpty }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            guard path.count < 32 else { parser.abortParsing(); return }
            path.append(name)
            open.append(elements.count)
            elements.append(Element(path: path, text: ""))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard let index = open.last else { return }
            if elements[index].text.utf8.count < 1 << 16 { elements[index].text += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if !path.isEmpty { path.removeLast() }
            if let index = open.popLast() {
                elements[index].text = elements[index].text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
    }
}
