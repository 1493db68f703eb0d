package dev.podidentity.admission;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static dev.podidentity.TestJson.MAPPER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonDocumentTest {

    static String text(JsonDocument.Body body) {
        return new String(JsonDocument.write(body), StandardCharsets.UTF_8);
    }

    @Test
    void specialCharactersAreEscapedWithLowerCaseHex() {
        assertEquals("\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001f/é€\"",
                text(json -> json.writeString("a\"b\\c\n\r\t\b\f\u0000\u001f/é€")));
        assertEquals("\"\\ud83d\\ude00 \\udc00\"", text(json -> json.writeString("😀 \udc00")),
                "surrogates escaped, a lone one too: the document stays valid");
    }

    @Test
    void aDocumentWrittenWhileWritingAnotherDoesNotShareTheBuffer() {
        String outer = text(json -> {
            json.writeStartArray();
            json.writeString(text(inner -> {
                inner.writeStartArray();
                inner.writeNumber(2);
                inner.writeEndArray();
            }));
            json.writeEndArray();
        });

        assertEquals("[\"[2]\"]", outer);
    }

    @Test
    void aBigDocumentIsWrittenWhole() throws Exception {
        char[] chars = new char[JsonDocument.KEEP_AT_MOST * 2];
        Arrays.fill(chars, 'é');
        String big = new String(chars);

        assertEquals(big, MAPPER.readTree(JsonDocument.write(json -> {
            json.writeStartArray();
            json.writeString(big);
            json.writeBinary(new byte[100_000]);
            json.writeEndArray();
        })).get(0).textValue());
        assertEquals("[1]", text(json -> {
            json.writeStartArray();
            json.writeNumber(1);
            json.writeEndArray();
        }), "the next document starts empty");
    }

    @Test
    void aDocumentLongerThanItsLimitIsRefused() {
        JsonDocument.Body twentyItems = json -> {
            json.writeStartArray();
            for (int i = 0; i < 20; i++) {
                json.writeString("x".repeat(1000));
            }
            json.writeEndArray();
        };

        DocumentTooLargeException tooLarge = assertThrows(DocumentTooLargeException.class,
                () -> JsonDocument.write(twentyItems, 10_000));

        assertEquals(10_000, tooLarge.limit());
        assertEquals(20_061, JsonDocument.write(twentyItems, 20_061).length, "exactly the limit fits");
        assertEquals(20_061, JsonDocument.write(twentyItems).length, "the next document on the thread has no limit");
        assertThrows(DocumentTooLargeException.class, () -> JsonDocument.write(json -> json.writeString("x".repeat(200)),
                100), "also a document shorter than the generator's own buffer");
    }
}
