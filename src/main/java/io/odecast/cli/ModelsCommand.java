package io.odecast.cli;

import com.typesafe.config.Config;
import io.odecast.models.ModelTopic;
import io.odecast.models.ModelVersionSettings;
import io.odecast.models.ModelVersionsAdmin;
import io.odecast.proto.ModelVersion;
import io.odecast.stream.KafkaSettings;
import io.odecast.stream.ServiceSettings;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code odecast models}: model versions on the models topic (list, publish a checkpoint, roll back). */
@Command(name = "models", description = "Model versions on the compacted models topic: list them, publish a"
        + " checkpoint folder as a new version, roll a model back to an earlier version. Serving instances follow"
        + " the topic and switch each stream at its next frame.",
        subcommands = {ModelsCommand.ListVersions.class, ModelsCommand.Publish.class, ModelsCommand.Rollback.class})
final class ModelsCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: list, publish or"
                + " rollback");
    }

    /** Where the topic is: configuration file and broker override. */
    static final class Connection {
        @Mixin
        ServiceConfigOptions configuration;

        ModelVersionsAdmin admin() {
            Config loaded = configuration.load();
            ServiceSettings settings = ServiceSettings.fromConfig(loaded);
            KafkaSettings kafka = settings.kafka();
            int max = kafka.topicSetup().maxMessageBytes();
            return new ModelVersionsAdmin(new ModelTopic(kafka.topics().models(), kafka.producerProperties(), max,
                    kafka.setupTimeout()), ModelVersionSettings.fromConfig(loaded.getConfig("odecast"), max),
                    Clock.systemUTC());
        }
    }

    @Command(name = "list", description = "Every version on the models topic, oldest first; the serving one of"
            + " each model is marked.")
    static final class ListVersions implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Override
        public Integer call() {
            connection.admin().list().forEach(System.out::println);
            return 0;
        }
    }

    @Command(name = "publish", description = "Publish a checkpoint folder (model.json, parameters.bin) as a new"
            + " version: inline when small, else through odecast.model-versions.store.")
    static final class Publish implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Parameters(index = "0", paramLabel = "DIR", description = "Checkpoint folder.")
        Path dir;

        @Option(names = "--name", paramLabel = "NAME",
                description = "Model name (the record key); default: the folder's name.")
        String name;

        @Option(names = "--parent", paramLabel = "VERSION", defaultValue = "",
                description = "Version it was fine-tuned from; default: the card's training.parent-version.")
        String parent;

        @Override
        public Integer call() throws Exception {
            String model = name != null ? name : dir.toAbsolutePath().normalize().getFileName().toString();
            ModelVersion v = connection.admin().publish(dir, model, parent, Map.of());
            System.out.println(v.getName() + " " + v.getVersion());
            return 0;
        }
    }

    @Command(name = "rollback", description = "Make an earlier version of a model the serving one again.")
    static final class Rollback implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Parameters(index = "0", paramLabel = "NAME", description = "Model name.")
        String name;

        @Parameters(index = "1", paramLabel = "VERSION", description = "Version to serve again.")
        String version;

        @Override
        public Integer call() {
            ModelVersion v = connection.admin().rollback(name, version);
            System.out.println(v.getName() + " " + v.getVersion());
            return 0;
        }
    }
}
