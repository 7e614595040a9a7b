package io.odecast.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The configuration options of the commands that talk to the service's Kafka (serve, trainer, models): a HOCON file
 * over {@code reference.conf} and a broker override, read the same way everywhere.
 */
final class ServiceConfigOptions {

    @Option(names = "--config", paramLabel = "FILE",
            description = "HOCON configuration overriding reference.conf (e.g. conf/application.conf).")
    Path config;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Kafka brokers; overrides odecast.kafka.bootstrap-servers.")
    String bootstrapServers;

    /**
     * The file's settings with the command line's overrides on top, not yet resolved against reference.conf.
     *
     * @param overrides further {@code odecast.*} paths and values set by the command (null values are skipped)
     * @throws IllegalArgumentException naming the file when it does not exist
     */
    Config overrides(Map<String, String> overrides) {
        if (config != null && !Files.isRegularFile(config)) {
            throw new IllegalArgumentException("configuration file " + config + " does not exist");
        }
        Config loaded = config == null ? ConfigFactory.empty() : ConfigFactory.parseFile(config.toFile());
        Map<String, String> set = new LinkedHashMap<>();
        overrides.forEach((k, v) -> {
            if (v != null) {
                set.put(k, v);
            }
        });
        if (bootstrapServers != null) {
            set.put("odecast.kafka.bootstrap-servers", bootstrapServers);
        }
        return ConfigFactory.parseMap(set).withFallback(loaded);
    }

    /** {@link #overrides} resolved against reference.conf. */
    Config load() {
        return ConfigFactory.load(overrides(Map.of()));
    }
}
