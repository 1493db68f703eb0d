package dev.podidentity.http;

import com.fasterxml.jackson.databind.JsonNode;

import dev.podidentity.LogCapture;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;

import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static dev.podidentity.TestJson.MAPPER;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Mistakes a person makes when calling the endpoint by hand: each gets a clear answer, never a 500. */
@QuarkusTest
class HttpEdgeTest {

    static String irsaPod() throws Exception {
        return Files.readString(Path.of("../examples/irsa-pod.json"));
    }

    // Contract: docs/contract.md#http-errors
    @Test
    void aBodySentWithCurlsDefaultFormTypeGets415() throws Exception {
        try (LogCapture log = LogCapture.start()) {
            for (String type : new String[] {"application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                "text/plain"}) {
                // Not RestAssured: it will not send a JSON body as multipart as it is.
                HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + RestAssured.port + "/mutate")).header("Content-Type", type)
                        .POST(HttpRequest.BodyPublishers.ofString(irsaPod())).build(), HttpResponse.BodyHandlers.ofString());

                assertEquals(415, response.statusCode(), type + ": " + response.body());
                assertTrue(MAPPER.readTree(response.body()).get("message").asText().startsWith(
                        "Content-Type must be application/json, was " + type), response.body());
            }
            assertEquals(List.of(), log.errors());
        }
    }

    // Contract: docs/contract.md#endpoints
    @Test
    void aTrailingSlashIsServedLikeTheAdmissionPath() throws Exception {
        try (LogCapture log = LogCapture.start()) {
            Response plain = given().contentType("application/json").body(irsaPod()).post("/mutate");
            Response slash = given().contentType("application/json").body(irsaPod()).post("/mutate/");

            assertEquals(200, slash.statusCode(), slash.asString());
            JsonNode answer = MAPPER.readTree(slash.asByteArray());
            assertEquals(MAPPER.readTree(plain.asByteArray()), answer);
            assertEquals("JSONPatch", answer.at("/response/patchType").asText());
            assertEquals(405, given().get("/mutate/").statusCode());
            assertEquals(415, given().contentType("text/plain").body("x").post("/mutate/").statusCode());
            assertEquals(400, given().contentType("application/json").body("{").post("/mutate/").statusCode());
            assertEquals(List.of(), log.errors());
        }
    }

    // Contract: docs/contract.md#http-errors
    @Test
    void aClientHangingUpMidBodyIsALineNotAnError() throws Exception {
        try (LogCapture log = LogCapture.start()) {
            try (Socket socket = new Socket("localhost", RestAssured.port)) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 100000\r\n\r\n{\"apiVersion\":\"admission.k8s.io/v1\",")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            // Waits for the function to notice, not for a time: it logs either way.
            LogRecord seen = null;
            for (int i = 0; i < 200 && seen == null && log.errors().isEmpty(); i++) {
                seen = log.find("closed the connection");
                Thread.sleep(50);
            }

            assertEquals(List.of(), log.errors());
            assertNotNull(seen, "a line says the client hung up");
            assertTrue(seen.getLevel().intValue() <= Level.INFO.intValue(), seen.getLevel().toString());
            assertNull(seen.getThrown());
        }
    }
}
