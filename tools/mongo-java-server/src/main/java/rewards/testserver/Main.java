package rewards.testserver;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.util.concurrent.CountDownLatch;

/**
 * mongo-java-server with its memory backend on 127.0.0.1:PORT, until SIGTERM or SIGINT.
 * The data lives in this process only: a stopped server forgets everything.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 1) {
            System.err.println("usage: java -jar rewards-mongo-java-server.jar PORT");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        MongoServer server = new MongoServer(new MemoryBackend());
        server.bind("127.0.0.1", port);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdownNow();
            stopped.countDown();
        }));
        System.err.println("mongo-java-server listening on 127.0.0.1:" + port);
        stopped.await();
    }
}
