import ArgumentParser
import CLAPACK
import Foundation
import KRUFormat
import KRUInference
import KRUTrain

struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue training a model (e.g. one `kru convert` factorised) to win back what conversion lost.",
        discussion: """
            Every parameter trains — Kronecker factors, input and readout weights, biases — and the model keeps its \
            structure. A character model (tokens in, a categorical output every step) trains on --data text with the \
            model's own vocabulary (characters outside it are an error); a vector model with a categorical output \
            at the last step trains as --task classify does, and a vector model with Bernoulli outputs every step as --task \
            music does, on a directory of .npy arrays. The written model \
            keeps the original's general.* metadata and kru.convert.* provenance and adds kru.finetune.* records.
            Example: kru finetune converted.kru --data data/kjv/train.txt --valid data/kjv/valid.txt --steps 2000 \
            --lr 5e-4 --lambda 0 --out finetuned.kru
            """
    )

    @Argument(help: "The model to start from.") var model: String
    @OptionGroup var training: TrainingOptions

    func validate() throws {
        if training.data == nil { throw usage("kru finetune needs --data") }
    }

    func run() throws {
        openblas_set_num_threads(1)  // the trainer's own workers do the parallel work
        let file: KRUFile
        let network: KRUNetwork
        do {
            file = try KRUFile(path: model)
            network = try KRUNetwork(file: file)
        } catch {
            throw usage("\(model): \(error)")
        }
        let architecture = network.architecture
        let job: any TrainingJob
        switch (architecture.vocabulary, architecture.output.kind, architecture.output.steps) {
        case (let vocabulary?, .categorical, .every):
            job = try CharacterJob.load(training, vocabulary: CharacterTask(vocabulary: vocabulary))
        case (nil, .categorical, .last):
            job = try ExampleJob.classification(training)
        case (nil, .bernoulli, .every):
            job = try ExampleJob.music(training)
        default:
            throw usage("\(model): kru finetune trains character models, sequence classifiers and piano-roll models; this model is none of them")
        }
        // Keep who made the model and how it was converted; the training record below is the fine-tuning's.
        let kept = file.metadata.filter { entry in
            (entry.key.hasPrefix("general.") && entry.key != "general.creation_tool") || entry.key.hasPrefix("kru.convert.")
        }
        let settings: [KRUMetadataEntry] = [.init("kru.finetune.source", .string((model as NSString).lastPathComponent))]
        try TrainingDriver(options: training, job: job, tool: "kru finetune", settings: settings)
            .run(network: network, random: KRURandom(seed: training.seed), metadata: kept)
    }
}
