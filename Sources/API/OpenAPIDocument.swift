/// The API's OpenAPI 3.1 document (`Sources/API/openapi.yaml`), embedded in the binary and
/// served at `/openapi.yaml`. Tests hold it against the routes and run schemathesis on it.
public enum OpenAPIDocument {
    public static var bytes: [UInt8] { PackageResources.openapi_yaml }
    public static var text: String { String(decoding: bytes, as: UTF8.self) }
}
