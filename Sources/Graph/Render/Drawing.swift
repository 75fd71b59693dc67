/// What a drawing shows, before it is written in DOT or Mermaid: boxes (clusters) holding
/// nodes and other boxes, and edges between nodes. Node and cluster ids are identifiers
/// (`f0_n3`), unique in the whole drawing, so both languages can use them unquoted.
struct Drawing {
    var flows: [DrawingCluster]
    /// Every edge, written after every node so no edge declares a node in the wrong cluster.
    var edges: [DrawingEdge]
}

struct DrawingCluster {
    enum Kind {
        case flow
        case disabledFlow
        /// A control action: its node and the clusters of its nested scopes.
        case control
        /// One nested list of a control action (`then`, `case gold`, `branch 1`, `do`).
        case scope
    }

    var id: String
    var kind: Kind
    var title: [String]
    var members: [DrawingMember]
}

enum DrawingMember {
    case node(DrawingNode)
    case cluster(DrawingCluster)
}

struct DrawingNode {
    enum Kind {
        case trigger
        case condition
        case variables
        case action
        case control
        case terminate
        /// Stands in for an empty scope, or for nesting too deep to draw.
        case placeholder
    }

    var id: String
    var kind: Kind
    var lines: [String]
}

struct DrawingEdge {
    enum Kind {
        /// trigger → conditions → vars → the first actions.
        case start
        /// The implicit "previous succeeded" rule.
        case sequence
        /// Written in `run_after`; `unhappy` when it runs on anything but success.
        case runAfter(unhappy: Bool)
        /// From a control node into the first actions of one of its scopes.
        case entry
    }

    /// One end of an edge: a node, and for a control action the cluster that holds its
    /// scopes, so the edge can leave or enter the whole construct.
    struct End {
        var node: String
        var cluster: String? = nil
    }

    var from: End
    var to: End
    var kind: Kind
    var label: String? = nil
}
