package io.odecast.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A single-node Kafka cluster (KRaft broker and controller in one process) on the loopback interface, for the
 * demo, {@code odecast kafka} and tests. Storage lives in a temporary folder deleted on {@link #close()}, or in
 * a given folder that is kept, so that a broker restarted on it finds its topics and records again.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start()) {
 *     producerProps.put("bootstrap.servers", kafka.bootstrapServers());
 * }
 * }</pre>
 *
 * <p>With {@link Builder#saslPlainUsers} the broker also has a {@code SASL_PLAINTEXT} listener that authenticates
 * those users with the PLAIN mechanism ({@link #saslBootstrapServers()}), for tests of secured clients. With
 * {@link Builder#saslSslKeystore} as well it also has a {@code SASL_SSL} listener, the same users over TLS with the
 * keystore's certificate ({@link #saslSslBootstrapServers()}).
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private static final int NODE_ID = 1;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final String HOST = "127.0.0.1";
    private static final String SASL_LISTENER = "SASL";
    private static final String SASL_SSL_LISTENER = "SASL_SSL";

    private final KafkaRaftServer server;
    private final Path logDir;
    private final boolean deleteOnClose;
    private final int port;
    private final int saslPort;
    private final int saslSslPort;
    private boolean closed;

    private EmbeddedKafkaBroker(KafkaRaftServer server, Path logDir, boolean deleteOnClose, int port, int saslPort,
                                int saslSslPort) {
        this.server = server;
        this.logDir = logDir;
        this.deleteOnClose = deleteOnClose;
        this.port = port;
        this.saslPort = saslPort;
        this.saslSslPort = saslSslPort;
    }

    /** Starts a broker on a free port with temporary storage. */
    public static EmbeddedKafkaBroker start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code host:port} for the clients' {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /**
     * {@code host:port} of the SASL_PLAINTEXT listener (PLAIN mechanism).
     *
     * @throws IllegalStateException when the broker was built without {@link Builder#saslPlainUsers}
     */
    public String saslBootstrapServers() {
        if (saslPort == 0) {
            throw new IllegalStateException("this embedded broker has no SASL listener; build it with saslPlainUsers");
        }
        return HOST + ":" + saslPort;
    }

    /**
     * {@code host:port} of the SASL_SSL listener (PLAIN mechanism over TLS); clients must trust the keystore's
     * certificate, which must name {@code 127.0.0.1} for the clients' host name check.
     *
     * @throws IllegalStateException when the broker was built without {@link Builder#saslSslKeystore}
     */
    public String saslSslBootstrapServers() {
        if (saslSslPort == 0) {
            throw new IllegalStateException("this embedded broker has no SASL_SSL listener; build it with"
                    + " saslPlainUsers and saslSslKeystore");
        }
        return HOST + ":" + saslSslPort;
    }

    /** The client listener's port. */
    public int port() {
        return port;
    }

    /** The folder holding the broker's logs and metadata. */
    public Path logDir() {
        return logDir;
    }

    /** Stops the broker, waiting for a clean shutdown, and deletes its storage if it was temporary. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.shutdown();
        server.awaitShutdown();
        if (deleteOnClose) {
            deleteRecursively(logDir);
        }
    }

    /** Settings of an {@link EmbeddedKafkaBroker}; every one is optional. */
    public static final class Builder {
        private int port;
        private int controllerPort;
        private Path logDir;
        private Duration startTimeout = Duration.ofSeconds(60);
        private final Map<String, String> overrides = new LinkedHashMap<>();
        private final Map<String, String> plainUsers = new LinkedHashMap<>();
        private Path keystore;
        private String keystorePassword;

        private Builder() {
        }

        /** Client listener port; 0 (the default) picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Controller (KRaft quorum) port; 0 (the default) picks a free one. */
        public Builder controllerPort(int controllerPort) {
            this.controllerPort = controllerPort;
            return this;
        }

        /** Storage folder, created and formatted if needed and kept on close; by default a temporary folder. */
        public Builder logDir(Path logDir) {
            this.logDir = logDir;
            return this;
        }

        /** How long to wait for the broker to serve clients. */
        public Builder startTimeout(Duration startTimeout) {
            this.startTimeout = startTimeout;
            return this;
        }

        /**
         * Adds a SASL_PLAINTEXT listener on a free port that accepts these PLAIN users (name to password); the
         * PLAINTEXT listener stays, for the broker's own traffic and unauthenticated test clients.
         */
        public Builder saslPlainUsers(Map<String, String> users) {
            if (users.isEmpty()) {
                throw new IllegalArgumentException("a SASL/PLAIN listener needs at least one user");
            }
            users.keySet().forEach(name -> {
                if (!name.matches("[A-Za-z0-9._-]+")) {
                    throw new IllegalArgumentException("SASL/PLAIN user name \"" + name + "\" must be letters,"
                            + " digits, '.', '_' or '-'");
                }
            });
            plainUsers.putAll(users);
            return this;
        }

        /**
         * Adds a SASL_SSL listener on a free port as well: the {@link #saslPlainUsers} users over TLS, the broker
         * presenting the private key and certificate of this PKCS12 keystore. One password opens the store and its
         * key, as {@code keytool} makes PKCS12 stores. Clients are not asked for certificates.
         */
        public Builder saslSslKeystore(Path pkcs12, String password) {
            if (!Files.isRegularFile(pkcs12)) {
                throw new IllegalArgumentException("SASL_SSL keystore " + pkcs12 + " is not a file");
            }
            this.keystore = pkcs12;
            this.keystorePassword = password;
            return this;
        }

        /** A broker setting, overriding the embedded defaults (e.g. {@code auto.create.topics.enable}). */
        public Builder property(String key, String value) {
            overrides.put(key, value);
            return this;
        }

        /**
         * Formats the storage if it is new, starts the broker and waits until it answers an admin request.
         *
         * @throws IllegalStateException if the broker does not start
         */
        public EmbeddedKafkaBroker start() {
            if (keystore != null && plainUsers.isEmpty()) {
                throw new IllegalStateException("a SASL_SSL listener needs saslPlainUsers as well as its keystore");
            }
            boolean temporary = logDir == null;
            Path dir;
            try {
                dir = temporary ? Files.createTempDirectory("odecast-kafka-") : Files.createDirectories(logDir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create Kafka storage folder " + logDir, e);
            }
            int brokerPort = port > 0 ? port : freePort();
            int quorumPort = controllerPort > 0 ? controllerPort : freePort();
            int saslPort = plainUsers.isEmpty() ? 0 : freePort();
            int saslSslPort = keystore == null ? 0 : freePort();
            KafkaRaftServer server = null;
            try {
                Properties properties = properties(dir, brokerPort, quorumPort, saslPort, saslSslPort);
                if (!Files.exists(dir.resolve("meta.properties"))) {
                    format(properties, dir);
                }
                KafkaConfig config = new KafkaConfig(properties, false);
                server = new KafkaRaftServer(config, Time.SYSTEM);
                server.startup();
                EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, dir, temporary, brokerPort, saslPort,
                        saslSslPort);
                awaitReady(broker.bootstrapServers(), startTimeout);
                return broker;
            } catch (Exception | Error e) {
                if (server != null) {
                    server.shutdown();
                    server.awaitShutdown();
                }
                if (temporary) {
                    deleteRecursively(dir);
                }
                throw new IllegalStateException("embedded Kafka broker failed to start on " + HOST + ":" + brokerPort
                        + " with storage " + dir + ": " + e.getMessage(), e);
            }
        }

        private Properties properties(Path dir, int brokerPort, int quorumPort, int saslPort, int saslSslPort) {
            Properties p = new Properties();
            p.put("process.roles", "broker,controller");
            p.put("node.id", Integer.toString(NODE_ID));
            p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + quorumPort);
            String sasl = (saslPort == 0 ? "" : "," + SASL_LISTENER + "://" + HOST + ":" + saslPort)
                    + (saslSslPort == 0 ? "" : "," + SASL_SSL_LISTENER + "://" + HOST + ":" + saslSslPort);
            p.put("listeners", "PLAINTEXT://" + HOST + ":" + brokerPort + "," + CONTROLLER_LISTENER + "://" + HOST
                    + ":" + quorumPort + sasl);
            p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + brokerPort + sasl);
            p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT"
                    + (saslPort == 0 ? "" : "," + SASL_LISTENER + ":SASL_PLAINTEXT")
                    + (saslSslPort == 0 ? "" : "," + SASL_SSL_LISTENER + ":SASL_SSL"));
            if (saslPort != 0) {
                p.put("sasl.enabled.mechanisms", "PLAIN");
                StringBuilder jaas = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule"
                        + " required");
                plainUsers.forEach((name, password) -> jaas.append(" user_").append(name).append("=\"")
                        .append(password.replace("\\", "\\\\").replace("\"", "\\\"")).append('"'));
                jaas.append(';');
                p.put(listenerPrefix(SASL_LISTENER) + "plain.sasl.jaas.config", jaas.toString());
                if (saslSslPort != 0) {
                    // The JAAS users are per listener; TLS settings too, so the other listeners stay plaintext.
                    String tls = listenerPrefix(SASL_SSL_LISTENER);
                    p.put(tls + "plain.sasl.jaas.config", jaas.toString());
                    p.put(tls + "ssl.keystore.location", keystore.toAbsolutePath().toString());
                    p.put(tls + "ssl.keystore.type", "PKCS12");
                    p.put(tls + "ssl.keystore.password", keystorePassword);
                    p.put(tls + "ssl.key.password", keystorePassword);
                }
            }
            p.put("controller.listener.names", CONTROLLER_LISTENER);
            p.put("inter.broker.listener.name", "PLAINTEXT");
            p.put("log.dirs", dir.toAbsolutePath().toString());
            p.put("metadata.log.dir", dir.toAbsolutePath().toString());
            // One node: internal topics with one replica and few partitions start fast.
            p.put("offsets.topic.replication.factor", "1");
            p.put("offsets.topic.num.partitions", "3");
            p.put("transaction.state.log.replication.factor", "1");
            p.put("transaction.state.log.min.isr", "1");
            p.put("transaction.state.log.num.partitions", "3");
            p.put("share.coordinator.state.topic.replication.factor", "1");
            p.put("share.coordinator.state.topic.min.isr", "1");
            p.put("group.initial.rebalance.delay.ms", "0");
            p.put("num.partitions", "1");
            // Topics are created by TopicSetup with their configs; a typo should fail, not create a topic.
            p.put("auto.create.topics.enable", "false");
            // The cleaner's default 128 MiB dedupe buffer would dominate the heap of a small process.
            p.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
            p.put("log.cleaner.threads", "1");
            // Large grids and state snapshots exceed the 1 MiB default.
            p.put("message.max.bytes", Integer.toString(64 * 1024 * 1024));
            p.put("replica.fetch.max.bytes", Integer.toString(64 * 1024 * 1024));
            p.put("num.network.threads", "2");
            p.put("num.io.threads", "2");
            p.put("background.threads", "2");
            overrides.forEach(p::put);
            return p;
        }

        /**
         * Formats new storage as {@code kafka-storage.sh format} does; storage formatted by an earlier run is
         * left alone, so it keeps its cluster id and data. The storage tool's
         * command is the public, compile-time visible way in: its {@code Formatter} sits in a runtime-only jar.
         */
        private static void format(Properties properties, Path dir) throws IOException {
            Path configFile = Files.createTempFile("odecast-kafka-", ".properties");
            try {
                try (var out = Files.newOutputStream(configFile)) {
                    properties.store(out, "embedded odecast broker");
                }
                var output = new ByteArrayOutputStream();
                int rc = StorageTool.execute(new String[] {"format", "--cluster-id", Uuid.randomUuid().toString(),
                    "--config", configFile.toString()},
                        new PrintStream(output, true, StandardCharsets.UTF_8));
                if (rc != 0) {
                    throw new IllegalStateException("formatting Kafka storage " + dir + " failed: "
                            + output.toString(StandardCharsets.UTF_8));
                }
            } finally {
                Files.deleteIfExists(configFile);
            }
        }

        private static void awaitReady(String bootstrap, Duration timeout) throws Exception {
            Properties p = new Properties();
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
            try (Admin admin = Admin.create(p)) {
                admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Kafka's prefix for one listener's settings: its name in lower case. */
    private static String listenerPrefix(String listener) {
        return "listener.name." + listener.toLowerCase(Locale.ROOT) + ".";
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + HOST, e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete Kafka storage folder " + dir, e);
        }
    }
}
