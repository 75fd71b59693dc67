import CEL
import Catalog
import Flows
import Foundation

/// `flowc-bench cel [iterations]`: evaluations per second of a typical condition against a
/// typed event, on one core, with the program compiled once and the activation reused.
enum CELBenchmark {
    static let expression = #"event.data.memberCount > 1000 && event.data.segment.startsWith("VIP")"#

    static func run(_ arguments: [String]) {
        let iterations = arguments.first.flatMap { Int($0) } ?? 20_000_000
        guard let eventType = try? CatalogType.parse("{id: string, type: string, subject?: string, data: {segment: string, memberCount: int, previousCount?: int}}") else {
            print("cel benchmark: invalid event type")
            return
        }
        let celType = CELBridge.type(eventType, name: "event")
        var environment = CELEnvironment()
        let slot = environment.declare("event", type: celType)
        let program: CELProgram
        switch environment.compile(expression) {
        case .success(let compiled): program = compiled
        case .failure(let issues):
            print("cel benchmark: \(issues.issues.map(\.message))")
            return
        }

        let payloads: [[String: Any]] = [
            ["id": "1", "type": "segment.refresh", "data": ["segment": "VIP Customers", "memberCount": 12_000]],
            ["id": "2", "type": "segment.refresh", "data": ["segment": "Churn risk", "memberCount": 5_000]],
            ["id": "3", "type": "segment.refresh", "data": ["segment": "VIP Gold", "memberCount": 900]],
            ["id": "4", "type": "segment.refresh", "subject": "s", "data": ["segment": "VIP", "memberCount": 1001]],
        ]
        var events: [CELValue] = []
        for payload in payloads {
            guard case .success(let value) = CELBridge.value(fromJSON: payload, as: celType) else {
                print("cel benchmark: event does not fit its type")
                return
            }
            events.append(value)
        }

        let activation = CELActivation(environment: environment)
        var trueCount = 0
        // Warm up, then measure.
        for index in 0..<100_000 {
            activation[slot] = events[index & 3]
            if case .bool(true) = program.evaluate(activation) { trueCount += 1 }
        }
        trueCount = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for index in 0..<iterations {
            activation[slot] = events[index & 3]
            if case .bool(true) = program.evaluate(activation) { trueCount += 1 }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let perSecond = Double(iterations) / elapsed
        print("cel: \(expression)")
        print("cel: \(iterations) evaluations in \(String(format: "%.3f", elapsed)) s, \(trueCount) true")
        print("cel: \(Int(perSecond)) evaluations/second (\(String(format: "%.1f", elapsed / Double(iterations) * 1e9)) ns each), one core")
    }
}
