import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;

/**
 * The stand-in API server of the AOT training run, over HTTPS as every real API server is: it
 * answers {@code GET <path>} with the file at that path under a directory (200,
 * {@code application/json}) and anything else with 404. Run by {@code knative/train-aot.sh} as a
 * single-file program, with the JDK that runs the build:
 *
 * <pre>{@code
 * java knative/TrainApiServer.java knative/train-api 18080 api.p12 password
 * }</pre>
 *
 * <p>The training run talks to it as the function talks to its API server in a cluster: TLS 1.3
 * with a server certificate signed by a cluster CA, checked against that CA, and a bearer token. So
 * the JDK's TLS, certificate path and signature classes are in the AOT cache, not only the HTTP
 * client's: the first lookup after a scale from zero goes over TLS.
 */
public final class TrainApiServer {

    private TrainApiServer() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: TrainApiServer <directory> <port> <PKCS#12 key store> <password>");
            System.exit(2);
        }
        Path root = Path.of(args[0]).toAbsolutePath().normalize();
        char[] password = args[3].toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(Path.of(args[2]))) {
            keys.load(in, password);
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, password);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers.getKeyManagers(), null, null);

        // The JDK's HTTP server writes a response's headers and its body separately and leaves
        // Nagle's algorithm on: the body then waits for the client's delayed acknowledgement of the
        // headers, ~40 ms per answer, where kube-apiserver (Go) answers at once. Read before the
        // server's first use.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpsServer server = HttpsServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[1])), 64);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/", exchange -> answer(root, exchange));
        server.start();
    }

    private static void answer(Path root, HttpExchange exchange) throws IOException {
        try (exchange) {
            Path file = root.resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
            if (!"GET".equals(exchange.getRequestMethod()) || !file.startsWith(root) || !Files.isRegularFile(file)) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            byte[] body = Files.readAllBytes(file);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        }
    }
}
