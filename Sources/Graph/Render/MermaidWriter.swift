/// Writes a ``Drawing`` as a Mermaid flowchart, top-down. Every label is a quoted string in
/// which each character that Mermaid's lexer, its entity decoding or its directive and
/// style pre-passes could read is written as an entity (`#quot;`, `#35;`).
struct MermaidWriter {
    private var output = ""

    static func write(_ drawing: Drawing) -> String {
        var writer = MermaidWriter()
        writer.line(0, "flowchart TB")
        for flow in drawing.flows {
            writer.cluster(flow, depth: 1)
        }
        var styled: [EdgeLook: [Int]] = [:]
        for (index, edge) in drawing.edges.enumerated() {
            writer.edge(edge)
            if let look = EdgeLook(edge.kind) { styled[look, default: []].append(index) }
        }
        for look in EdgeLook.allCases {
            guard let indices = styled[look] else { continue }
            writer.line(1, "linkStyle \(indices.map(String.init).joined(separator: ",")) \(look.style)")
        }
        for kind in NodeLook.allCases {
            writer.line(1, "classDef \(kind.rawValue) \(kind.style)")
        }
        return writer.output
    }

    /// A quoted Mermaid string showing `lines`, one per line.
    static func quoted(_ lines: [String]) -> String {
        "\"" + lines.map(escape).joined(separator: "<br/>") + "\""
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "#quot;"
            // `:` and `%` too: Mermaid rewrites `style…:…#…;` and `%%{…}%%` anywhere in the text.
            case "#", "&", "<", ">", "|", "`", ";", ":", "%", "\\":
                result += "#\(scalar.value);"
            default:
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
        // An empty title would show the id; a space shows nothing.
        let title = cluster.title.isEmpty ? "\" \"" : Self.quoted(cluster.title)
        line(depth, "subgraph \(cluster.id) [\(title)]")
        for member in cluster.members {
            switch member {
            case .node(let node): self.node(node, depth: depth + 1)
            case .cluster(let nested): self.cluster(nested, depth: depth + 1)
            }
        }
        line(depth, "end")
        switch cluster.kind {
        case .flow: break
        case .disabledFlow: line(depth, "style \(cluster.id) stroke-dasharray:5 5,color:#7f8c8d")
        case .control: line(depth, "style \(cluster.id) fill:#fffdf7,stroke:#b9770e,stroke-dasharray:2 2")
        case .scope: line(depth, "style \(cluster.id) fill:#f4f6f7,stroke:#aab7b8")
        }
    }

    private mutating func node(_ node: DrawingNode, depth: Int) {
        let label = Self.quoted(node.lines)
        let shape: String
        switch node.kind {
        case .trigger: shape = ">\(label)]"
        case .condition: shape = "{{\(label)}}"
        case .variables: shape = "[/\(label)/]"
        case .action: shape = "(\(label))"
        case .control: shape = "[[\(label)]]"
        case .terminate: shape = "([\(label)])"
        case .placeholder: shape = "[\(label)]"
        }
        line(depth, "\(node.id)\(shape):::\(NodeLook(node.kind).rawValue)")
    }

    private mutating func edge(_ edge: DrawingEdge) {
        // Links join nodes only, never subgraphs: Mermaid's layout fails on links to nested
        // subgraphs (mermaid-js issues 2429, 2829, 4644), so a control action's links start
        // and end at its node.
        let from = edge.from.node
        let to = edge.to.node
        let arrow: String
        switch edge.kind {
        case .start: arrow = "==>"
        case .sequence, .runAfter: arrow = "-->"
        case .entry: arrow = "-.->"
        }
        if let label = edge.label {
            line(1, "\(from) \(arrow)|\(Self.quoted([label]))| \(to)")
        } else {
            line(1, "\(from) \(arrow) \(to)")
        }
    }

    private enum NodeLook: String, CaseIterable {
        case trigger, condition, vars, action, control, terminate, placeholder

        init(_ kind: DrawingNode.Kind) {
            switch kind {
            case .trigger: self = .trigger
            case .condition: self = .condition
            case .variables: self = .vars
            case .action: self = .action
            case .control: self = .control
            case .terminate: self = .terminate
            case .placeholder: self = .placeholder
            }
        }

        var style: String {
            switch self {
            case .trigger: "fill:#d5f5e3,stroke:#1e8449"
            case .condition: "fill:#fef9e7,stroke:#b7950b"
            case .vars: "fill:#f2f3f4,stroke:#7f8c8d"
            case .action: "fill:#eaf2f8,stroke:#2e86c1"
            case .control: "fill:#fdebd0,stroke:#b9770e"
            case .terminate: "fill:#fadbd8,stroke:#b03a2e"
            case .placeholder: "fill:none,stroke:none,color:#7f8c8d"
            }
        }
    }

    private enum EdgeLook: CaseIterable {
        case sequence, unhappy, entry

        init?(_ kind: DrawingEdge.Kind) {
            switch kind {
            case .sequence: self = .sequence
            case .runAfter(let unhappy): if unhappy { self = .unhappy } else { return nil }
            case .entry: self = .entry
            case .start: return nil
            }
        }

        var style: String {
            switch self {
            case .sequence: "stroke:#909497"
            case .unhappy: "stroke:#b03a2e,color:#b03a2e"
            case .entry: "stroke:#b9770e,color:#b9770e"
            }
        }
    }
}
