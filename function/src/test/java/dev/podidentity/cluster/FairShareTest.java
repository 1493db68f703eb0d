package dev.podidentity.cluster;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What one caller holds cannot starve another cluster: callers are authenticated before anything
 * shared is reserved for them, and each cluster holds at most its share of the in-flight budget.
 * Each case holds connections whose bodies never finish arriving (declared 256 KiB, a few bytes
 * sent) while a member sends one valid admission.
 */
// Contract: docs/contract.md#limits, docs/contract.md#caller-authentication
@QuarkusTest
@QuarkusTestResource(value = TwoApiServers.class, restrictToAnnotatedClass = true)
class FairShareTest {

    static final int HELD = 48;
    static final int DECLARED = 256 * 1024;

    final List<Socket> held = new ArrayList<>();

    @AfterEach
    void hangUp() throws IOException {
        for (Socket socket : held) {
            socket.close();
        }
        held.clear();
    }

    /** Opens a request whose body is declared {@link #DECLARED} bytes long and never finishes. */
    Socket holdSlowBody(String path, String token) throws IOException {
        Socket socket = new Socket("localhost", RestAssured.port);
        String head = "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
                + "Content-Length: " + DECLARED + "\r\n\r\n{\"kind\":";
        socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        held.add(socket);
        return socket;
    }

    static Response betaAdmission() throws IOException {
        return given().contentType("application/json").header("Authorization", "Bearer beta-secret")
                .body(Files.readString(Path.of("../examples/irsa-pod.json")))
                .post("/clusters/beta/mutate");
    }

    @Test
    void unauthenticatedSlowBodiesToAServedClusterReserveNothing() throws Exception {
        for (int i = 0; i < HELD; i++) {
            holdSlowBody("/clusters/alpha/mutate", null);
        }
        // Each is answered 401 as soon as its headers are in, without waiting for its body.
        for (Socket socket : held) {
            assertEquals("HTTP/1.1 401 Unauthorized", statusLine(socket));
        }

        Response answer = betaAdmission();

        assertEquals(200, answer.statusCode(), answer.asString());
    }

    @Test
    void slowBodiesToAClusterNotServedReserveNothing() throws Exception {
        for (int i = 0; i < HELD; i++) {
            holdSlowBody("/clusters/not-served/mutate", "beta-secret");
        }
        for (Socket socket : held) {
            assertEquals("HTTP/1.1 404 Not Found", statusLine(socket));
        }

        Response answer = betaAdmission();

        assertEquals(200, answer.statusCode(), answer.asString());
    }

    @Test
    void anAuthenticatedMemberHoldingSlowBodiesCannotStarveAnother() throws Exception {
        for (int i = 0; i < HELD; i++) {
            holdSlowBody("/clusters/alpha/mutate", "alpha-secret");
        }

        Response answer = betaAdmission();

        assertEquals(200, answer.statusCode(), answer.asString());
    }

    /** The first line the server answers on the connection (10 s at most). */
    static String statusLine(Socket socket) throws IOException {
        socket.setSoTimeout(10_000);
        InputStream in = socket.getInputStream();
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != -1 && c != '\n'; c = in.read()) {
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }
}
