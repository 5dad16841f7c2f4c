import Foundation
import KRU

// The README's and the DocC catalogs' Swift examples, quoted unchanged inside functions so that this target compiles
// them (DocumentationExampleTests checks that each example still appears here). Free names an example uses are
// the functions' parameters.

// README.md, "In a Swift app".
func demo() async throws {
    let model = try KRUModel(contentsOf: URL(fileURLWithPath: "models/kjv-kru512.kru"))
    print(model.name ?? "unnamed", model.description.layers[0].cell)

    // Each token is computed when the loop asks for it: the loop never holds a thread of Swift's cooperative
    // pool for long, and cancelling the task ends it. The stop sequence is not printed.
    let session = try GenerationSession(model: model)
    try session.append("And God said")
    let options = GenerationOptions(length: 300, temperature: 0.8, seed: 1, stop: ["\n"])
    for await token in try session.generate(options) {
        print(token.text, terminator: "")  // token.id, token.logProbability, token.finishReason too
    }

    // The session has read everything generated: continue from there, or branch() to try alternatives.
    try session.append("\nAnd the LORD")
    for await token in try session.generate(options) { print(token.text, terminator: "") }

    // Bits per character of a held-out text.
    let text = try String(contentsOfFile: "data/kjv/test.txt", encoding: .utf8)
    let score = try model.score(tokens: model.tokenizer!.encode(text, unknown: .skip))
    print(score.bitsPerToken)
}

// README.md, the container on its own.
func containerExample() throws {
    let file = try KRUFile(path: "model.kru")          // validates header, metadata, directory and layout
    print(file.version, file.metadata("general.name") ?? "unnamed")
    let weights = try file.tensor(named: "w").floats() // reads, inflates and checksums one tensor
    try KRUWriter(metadata: file.metadata, tensors: [/* … */]).write(toPath: "copy.kru")  // atomic
    _ = weights
}

// Sources/KRU/Documentation.docc/KRU.md.
func verses(modelAt url: URL) async throws {
    let model = try KRUModel(contentsOf: url)
    let session = try GenerationSession(model: model)
    try session.append("And God said")
    let options = GenerationOptions(length: 300, temperature: 0.8, seed: 1, stop: ["\n"])
    for await token in try session.generate(options) {
        print(token.text, terminator: "")
    }
    try session.append("And the LORD")  // continue after what was generated
    for await token in try session.generate(options) {
        print(token.text, terminator: "")
    }
}

// Sources/Inference/Documentation.docc/KRUInference.md.
func inferenceCatalogExample() async throws {
    let model = try KRUModel(path: "models/kjv-lstm512.kru")
    let options = GenerationOptions(length: 200, temperature: 0.8, seed: 42, stop: ["\n"])
    for await token in try model.generate(prime: "And God said", options: options) {
        print(token.text, terminator: "")
    }
    let heldOutText = "In the beginning God created the heaven and the earth."
    let score = try model.score(tokens: try model.tokenizer!.encode(heldOutText, unknown: .skip))
    print(score.bitsPerToken)
}

// Sources/Format/Documentation.docc/KRUFormat.md.
func formatCatalogExample() throws {
    let file = try KRUFile(path: "model.kru")
    for info in file.tensors { print(info.name, info.dtype, info.shape) }
    let w = try file.tensor(named: "readout.weight").floats()

    try KRUWriter(metadata: [KRUMetadataEntry("general.name", .string("demo"))],
                  tensors: [KRUTensor(name: "w", shape: [2, 2], floats: [1, 2, 3, 4])])
        .write(toPath: "demo.kru")
    _ = w
}

// Doc comments: KRUModel, GenerationSession, KRUModel.generate(prime:options:), KRUFile, TextDecoder.
func docCommentExamples(url: URL, model: KRUModel, prime: [Int], generated: [Int]) async throws {
    do {
        let model = try KRUModel(path: "models/kjv-lstm512.kru")
        let session = model.session()
        try session.feed(token: model.tokenIndex(of: "T")!)
        let logits = session.outputValues()  // one logit per character of the vocabulary
        _ = logits
    }
    do {
        let model = try KRUModel(contentsOf: url)
        let session = try GenerationSession(model: model)
        try session.append("And God said")
        for await token in try session.generate(GenerationOptions(length: 200, seed: 1, stop: ["\n"])) {
            print(token.text, terminator: "")
        }
        try session.append("\nAnd")   // continue after what was generated
    }
    for await token in try model.generate(prime: "And God said", options: .init(length: 200, seed: 7)) {
        print(token.text, terminator: "")
    }
    do {
        let file = try KRUFile(path: "model.kru")
        print(file.version, file.metadata.count)
        let weights = try file.tensor(named: "layer0.w_hh").floats()
        _ = weights
    }
    do {
        var decoder = TextDecoder(vocabulary: model.description.vocabulary!, previous: prime.last)
        for token in generated { print(decoder.piece(token), terminator: "") }
        print(decoder.finish())
    }
}
