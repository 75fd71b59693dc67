/// Draws a compiled graph (SPEC section 7) for people: Graphviz DOT or a Mermaid flowchart.
/// One cluster per flow holds its trigger, its conditions, its vars and its actions; a control
/// action is a box holding its node and one box per nested scope (`then`, `case gold`, ...).
/// Edges show `run_after` statuses; implicit sequence edges are unlabelled and lighter.
public enum GraphDrawing {
    public enum Format: String, Sendable, CaseIterable {
        case dot
        case mermaid
    }

    public static func draw(_ graph: FlowGraph, as format: Format) -> String {
        switch format {
        case .dot: dot(graph)
        case .mermaid: mermaid(graph)
        }
    }

    /// Graphviz DOT: `flowc graph flows/ | dot -Tsvg > flows.svg`.
    public static func dot(_ graph: FlowGraph) -> String {
        DOTWriter.write(DrawingBuilder.build(graph))
    }

    /// A Mermaid `flowchart`, for Markdown that GitHub and most wikis render.
    public static func mermaid(_ graph: FlowGraph) -> String {
        MermaidWriter.write(DrawingBuilder.build(graph))
    }
}
