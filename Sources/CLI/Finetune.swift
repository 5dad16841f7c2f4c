import ArgumentParser
import KRUInference
import KRUTrain

struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue training a model (e.g. one `kru convert` factorised) to win back what conversion lost.",
        discussion: """
            Every parameter trains — Kronecker factors, input and readout weights, biases — and the model keeps its \
            structure. A character model (tokens in, a categorical output every step) trains on --data text with the \
            model's own vocabulary (characters outside it are an error); a vector model with a categorical output \
            at the last step trains as --task classify does, and a vector model with Bernoulli outputs every step as \
            --task music does, on a directory of .npy arrays. A copy-memory or adding model (kru.train.task copy or \
            adding) trains on fresh sequences of its task, at its own T or at the --delay or --length given — a \
            curriculum: train at a short T, then fine-tune at a longer one. --factors (the grammar of kru train and \
            kru convert) first replaces the model's dense recurrences by their nearest Kronecker products, as kru \
            convert does, then trains the result. The written model keeps the original's general.* metadata and \
            kru.convert.* provenance and adds kru.finetune.* records.
            --teacher distils a character model toward another one with the same vocabulary (typically the dense \
            model it was converted from; Hinton et al. 2015): the loss trained on is (1 − a)·CE + a·T²·KL(teacher_T ‖ \
            student_T), the cross-entropy of the data mixed with the divergence from the teacher's outputs softened \
            by the temperature T, with a = --distill-weight (default 0.5) and T = --distill-temperature (default 2). \
            The teacher runs over the student's streams with its state carried and reset as the student's. The \
            reported training loss and the validation stay the data's cross-entropy; the progress line and the \
            summary add the KL term (at T, in bits/char). The model records the teacher's file name, size and hash, \
            T and a (kru.finetune.teacher, …_bytes, …_hash, kru.finetune.distill_temperature, …_weight).
            Example: kru finetune converted.kru --data data/kjv/train.txt --valid data/kjv/valid.txt --steps 2000 \
            --lr 5e-4 --lambda 0 -o finetuned.kru
            Example: kru finetune converted.kru --teacher dense.kru --data data/kjv/train.txt --steps 1500 \
            --lambda 0 -o distilled.kru
            """
    )

    @Argument(help: "The model to start from.", completion: .file(extensions: ["kru"])) var model: String
    @Option(help: "Copy-memory models: the delay T to train at (default: the model's kru.train.delay).")
    var delay: Count?
    @Option(help: "Adding-problem models: the sequence length T to train at (default: the model's kru.train.length).")
    var length: Count?
    @Option(help: ArgumentHelp("Factor the model's dense recurrences first, as kru convert does: auto, auto2, "
                               + "sizes like 4x4x8 or shapes like 2:3x3:2."))
    var factors: String?
    @Option(help: "With --factors: Kronecker terms per gate block.") var rank = 1
    @Option(help: ArgumentHelp("Character models: distil this model (same vocabulary), e.g. the dense source of a "
                               + "converted model.", valueName: "teacher.kru"),
            completion: .file(extensions: ["kru"]))
    var teacher: String?
    @Option(help: ArgumentHelp("With --teacher: the temperature T > 0 both outputs are softened with.",
                               valueName: "T"))
    var distillTemperature: Double?
    @Option(help: ArgumentHelp("With --teacher: the weight a in [0, 1] of the teacher's term (0: the data alone).",
                               valueName: "a"))
    var distillWeight: Double?
    @OptionGroup var training: TrainingOptions

    func run() throws {
        var source = FinetuneSource(model: model)
        source.data = training.data
        source.valid = training.valid
        source.bptt = training.bptt.value
        source.delay = delay?.value
        source.length = length?.value
        if let factors {
            do { source.factors = try FactorSpecification(parsing: factors) } catch { throw usage("\(error)") }
        }
        source.rank = rank
        source.teacher = teacher
        if distillTemperature != nil || distillWeight != nil {
            source.distillation = Distillation(temperature: distillTemperature ?? Distillation.defaultTemperature,
                                               weight: distillWeight ?? Distillation.defaultWeight)
        }
        let settings = training.settings(task: nil)
        try runTraining({ () throws(TrainingRunError) in try TrainingPlan.finetune(source, settings: settings) },
                        training, inputs: [model, teacher])
    }
}
