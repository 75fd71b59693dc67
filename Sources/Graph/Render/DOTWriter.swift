/// Writes a ``Drawing`` in Graphviz DOT, top-down. Labels are plain quoted strings (never
/// record or HTML labels), so only `"`, `\`, `&` and line breaks need escaping.
struct DOTWriter {
    private var output = ""

    static func write(_ drawing: Drawing) -> String {
        var writer = DOTWriter()
        writer.line(0, "digraph flowc {")
        writer.line(1, "graph [rankdir=TB, compound=true, newrank=true, fontname=\"Helvetica\", fontsize=12, nodesep=0.35, ranksep=0.45];")
        writer.line(1, "node [fontname=\"Helvetica\", fontsize=10, margin=\"0.12,0.06\"];")
        writer.line(1, "edge [fontname=\"Helvetica\", fontsize=9, arrowsize=0.7];")
        for flow in drawing.flows {
            writer.cluster(flow, depth: 1)
        }
        for edge in drawing.edges {
            writer.edge(edge)
        }
        writer.line(0, "}")
        return writer.output
    }

    /// A DOT double-quoted string showing `lines`, one per line, centred.
    static func quoted(_ lines: [String]) -> String {
        "\"" + lines.map(escape).joined(separator: "\\n") + "\""
    }

    /// Like ``quoted(_:)``, each line left-aligned (`\l` ends a left-justified line).
    static func leftAligned(_ lines: [String]) -> String {
        "\"" + lines.map { escape($0) + "\\l" }.joined() + "\""
    }

    /// Escapes one line for a quoted DOT label. Backslashes are doubled so that `\N`, `\G`
    /// and friends stay literal, and `&` becomes `&amp;` because Graphviz decodes entities
    /// even in plain labels.
    static func escape(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "&": result += "&amp;"
            case "\n": result += "\\n"
            default:
                // Other control characters would end or corrupt the DOT file: show a space.
                if scalar.properties.generalCategory == .control {
                    result += " "
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    private mutating func line(_ depth: Int, _ text: String) {
        output += String(repeating: "  ", count: depth) + text + "\n"
    }

    private mutating func cluster(_ cluster: DrawingCluster, depth: Int) {
        line(depth, "subgraph cluster_\(cluster.id) {")
        let inner = depth + 1
        line(inner, "label=\(Self.leftAligned(cluster.title));")
        switch cluster.kind {
        case .flow:
            line(inner, "style=\"rounded,bold\"; color=\"#34495e\"; fontsize=13; labeljust=l;")
        case .disabledFlow:
            line(inner, "style=\"rounded,dashed\"; color=\"#95a5a6\"; fontcolor=\"#7f8c8d\"; fontsize=13; labeljust=l;")
        case .control:
            line(inner, "style=\"rounded,dotted\"; color=\"#b9770e\";")
        case .scope:
            line(inner, "style=\"rounded,filled\"; color=\"#aab7b8\"; fillcolor=\"#f4f6f7\"; fontsize=10; fontcolor=\"#566573\"; labeljust=l;")
        }
        for member in cluster.members {
            switch member {
            case .node(let node): self.node(node, depth: inner)
            case .cluster(let nested): self.cluster(nested, depth: inner)
            }
        }
        line(depth, "}")
    }

    private mutating func node(_ node: DrawingNode, depth: Int) {
        let look: String
        switch node.kind {
        case .trigger: look = "shape=invhouse, style=filled, fillcolor=\"#d5f5e3\", color=\"#1e8449\""
        case .condition: look = "shape=hexagon, style=filled, fillcolor=\"#fef9e7\", color=\"#b7950b\""
        case .variables: look = "shape=note, style=filled, fillcolor=\"#f2f3f4\", color=\"#7f8c8d\""
        case .action: look = "shape=box, style=\"rounded,filled\", fillcolor=\"#eaf2f8\", color=\"#2e86c1\""
        case .control: look = "shape=box, peripheries=2, style=filled, fillcolor=\"#fdebd0\", color=\"#b9770e\""
        case .terminate: look = "shape=octagon, style=filled, fillcolor=\"#fadbd8\", color=\"#b03a2e\""
        case .placeholder: look = "shape=plaintext, fontcolor=\"#7f8c8d\""
        }
        line(depth, "\(node.id) [label=\(Self.quoted(node.lines)), \(look)];")
    }

    private mutating func edge(_ edge: DrawingEdge) {
        var attributes: [String] = []
        if let label = edge.label { attributes.append("label=\(Self.quoted([" " + label + " "]))") }
        switch edge.kind {
        case .start: attributes.append("color=\"#1e8449\"")
        case .sequence: attributes.append("color=\"#909497\"")
        case .runAfter(let unhappy):
            attributes.append(unhappy ? "color=\"#b03a2e\", fontcolor=\"#b03a2e\"" : "color=\"#1b2631\"")
        case .entry: attributes.append("style=dashed, color=\"#b9770e\", fontcolor=\"#b9770e\"")
        }
        // Leave or enter a control action's whole box (the builder has checked the other end is outside it).
        if let tail = edge.from.cluster { attributes.append("ltail=cluster_\(tail)") }
        if let head = edge.to.cluster { attributes.append("lhead=cluster_\(head)") }
        line(1, "\(edge.from.node) -> \(edge.to.node) [\(attributes.joined(separator: ", "))];")
    }
}
