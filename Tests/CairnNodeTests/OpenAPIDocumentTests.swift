import Testing
import Foundation
import CairnNode

/// `openapi/node.yaml` documents exactly the routes the node's API serves.
@Suite struct OpenAPIDocumentTests {
    static let documentURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("openapi/node.yaml")

    /// `METHOD /path` for every operation under `paths:` (paths at two spaces of indent, methods at four).
    static func documentedRoutes() throws -> Set<String> {
        let text = try String(contentsOf: documentURL, encoding: .utf8)
        var routes: Set<String> = []
        var path: String?
        var inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") { inPaths = line == "paths:" }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), let path {
                let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "delete", "patch"].contains(key) { routes.insert("\(key.uppercased()) \(path)") }
            }
        }
        return routes
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteIsServed() throws {
        let documented = try Self.documentedRoutes()
        #expect(documented.contains("GET /v1/status"), "the parser read the document: \(documented.sorted())")
        let (node, dir) = try InProcessNode.openedOnly()
        defer { withExtendedLifetime(dir) {} }
        let served = Set(NodeAPI(node: node).routes)
        #expect(served.subtracting(documented).isEmpty, "served but not in openapi/node.yaml: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "in openapi/node.yaml but not served: \(documented.subtracting(served).sorted())")
    }
}
