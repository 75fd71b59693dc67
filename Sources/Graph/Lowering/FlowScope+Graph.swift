import CEL
import Catalog
import Flows

extension FlowScope {
    /// The scope of a compiled flow: its trigger and event type, its vars with their recorded
    /// types, and every action with an id anywhere in it. Build it once per flow and use
    /// ``loopScope(for:)`` for the bodies of `foreach` actions.
    public init(graphFlow flow: GraphFlow, catalog: Catalog = .standard) throws {
        var actions: [(id: String, type: String)] = []
        flow.actions.forEachAction { action in
            if let id = action.id { actions.append((id, action.type)) }
        }
        try self.init(
            catalog: catalog, trigger: flow.trigger.catalogName, eventType: flow.trigger.eventType,
            varTypes: flow.vars.map { ($0.name, $0.type) }, actions: actions)
    }

    /// The scope inside a `foreach` action: this scope plus its loop variable (the `as`
    /// input, default `item`) typed by the action's recorded element type (`valueType`).
    public func loopScope(for action: GraphAction) throws -> FlowScope {
        let name: String
        if case .string(let written)? = action.input("as") { name = written } else { name = "item" }
        let typeText = action.valueType ?? "dyn"
        do {
            let type = CELBridge.type(try CatalogType.parse(typeText), name: name)
            return adding(loopVariables: [(name, type)])
        } catch {
            throw BuildError(description: "the element type `\(typeText)` of `\(action.path)` does not parse: \(error)")
        }
    }
}

extension GraphScope {
    /// Every action of this scope and of its nested scopes, in document order (pre-order).
    public func forEachAction(_ body: (GraphAction) throws -> Void) rethrows {
        for action in actions {
            try body(action)
            for scope in action.scopes { try scope.forEachAction(body) }
        }
    }
}
