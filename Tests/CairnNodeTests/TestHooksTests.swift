import Testing
import CairnNode

/// Test-only faults are read from the environment and refused unless test hooks are enabled.
@Suite struct TestHooksTests {
    @Test func noVariablesMeanNoFaults() throws {
        #expect(try TestHooks(environment: ["PATH": "/bin"]) == TestHooks())
    }

    @Test(arguments: [TestHooks.crashVariable: "3", TestHooks.clockOffsetVariable: "-5000", TestHooks.byzantineVariable: "equivocate"])
    func eachFaultIsRefusedWithoutTheSwitch(variable: String, value: String) throws {
        #expect(throws: NodeHomeError.self) { try TestHooks(environment: [variable: value]) }
        #expect(throws: NodeHomeError.self) { try TestHooks(environment: [variable: value, TestHooks.enableVariable: "yes"]) }
    }

    @Test func enabledFaultsAreParsed() throws {
        let hooks = try TestHooks(environment: [TestHooks.enableVariable: "1", TestHooks.crashVariable: "3",
                                                TestHooks.clockOffsetVariable: "-5000", TestHooks.byzantineVariable: "equivocate"])
        #expect(hooks.exitAfterLoggedMessages == 3 && hooks.clockOffsetMilliseconds == -5000 && hooks.equivocate)
    }

    @Test(arguments: [(TestHooks.crashVariable, "0"), (TestHooks.clockOffsetVariable, "soon"), (TestHooks.clockOffsetVariable, "99999999999999"),
                      (TestHooks.byzantineVariable, "withhold")])
    func badValuesAreRefused(variable: String, value: String) throws {
        #expect(throws: NodeHomeError.self) { try TestHooks(environment: [TestHooks.enableVariable: "1", variable: value]) }
    }
}
