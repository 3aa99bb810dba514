import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * Starts a Neo4j Community server in this JVM with Bolt on 127.0.0.1 only, for tests and
 * benchmarks. Usage:
 * {@code java -Xmx1g -cp 'classes:lib/*' Launcher DATA_DIR PORT PAGE_CACHE_MB [--watch-stdin]}
 * with the password in the environment variable NEO4J_PASSWORD (not an argument: `ps` shows those).
 * Prints {@code NEO4J READY bolt://127.0.0.1:PORT} once Bolt accepts connections and the password
 * is set, then runs until signalled (a shutdown hook stops the database cleanly) or, with
 * {@code --watch-stdin}, until stdin closes too: a test session's server dies with its parent.
 */
public final class Launcher {
    public static void main(String[] args) throws Exception {
        boolean watchStdin = args.length == 4 && args[3].equals("--watch-stdin");
        if (args.length != 3 && !watchStdin) {
            System.err.println("usage: Launcher DATA_DIR PORT PAGE_CACHE_MB [--watch-stdin]"
                    + " (password in NEO4J_PASSWORD)");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        long pageCacheMb = Long.parseLong(args[2]);
        String password = System.getenv("NEO4J_PASSWORD");
        if (password == null || password.length() < 8) {
            System.err.println("NEO4J_PASSWORD must be set, 8 characters or more (Neo4j's minimum)");
            System.exit(2);
        }
        Files.createDirectories(home);

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMb))
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown, "neo4j-shutdown"));

        // The built-in user starts with the password "neo4j", which must be changed before use;
        // set ours through the system database, as `neo4j-admin dbms set-initial-password` would.
        dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));

        System.out.println("NEO4J READY bolt://127.0.0.1:" + port);
        System.out.flush();
        if (!watchStdin) {
            Thread.currentThread().join(); // until SIGTERM/SIGINT; the hook shuts down
        }
        while (System.in.read() != -1) {
            // ignore input: wait for the parent to close the pipe (or die)
        }
        System.exit(0);
    }
}
