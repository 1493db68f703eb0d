package dev.podidentity.mutation;

import com.fasterxml.jackson.databind.JsonNode;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.StringLength;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

import static dev.podidentity.TestJson.MAPPER;
import static dev.podidentity.TestJson.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonBytesTest {

    static final JsonBytes.Name A = JsonBytes.Name.of("a");
    static final JsonBytes.Name B = JsonBytes.Name.of("b");

    static String text(JsonBytes.Body body) {
        return new String(JsonBytes.write(body), StandardCharsets.UTF_8);
    }

    @Test
    void commasSeparateMembersAndItemsAtEveryLevel() throws Exception {
        String written = text(out -> out.startObject()
                .name(A).startArray().number(1).startObject().endObject().startArray().endArray().string("x").endArray()
                .name(B).startObject().name(A).bool(true).name("b c").bool(false).endObject()
                .endObject());

        assertEquals("{\"a\":[1,{},[],\"x\"],\"b\":{\"a\":true,\"b c\":false}}", written);
        assertEquals(json("{'a':[1,{},[],'x'],'b':{'a':true,'b c':false}}"), MAPPER.readTree(written));
    }

    @Test
    void plainTextIsCopiedAndSpecialCharactersAreEscaped() {
        assertEquals("\"/spec/containers/0/env/-\"", text(out -> out.string("/spec/containers/0/env/-")));
        assertEquals("\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001f\"", text(out -> out.string("a\"b\\c\n\r\t\b\f\u0000\u001f")));
        assertEquals("\"é€\"", text(out -> out.string("é€")));
        assertEquals("\"\\ud83d\\ude00 \\udc00\"", text(out -> out.string("😀 \udc00")), "surrogates escaped, as Jackson does");
    }

    @Property(tries = 500)
    void anyStringReadsBackAsItself(@ForAll @StringLength(max = 40) String value,
            @ForAll @Chars({'"', '\\', '/', '\n', 'a'}) @CharRange(from = '\u0000', to = '\uffff') char c) throws Exception {
        String withSpecial = value + c + value;
        // Jackson refuses a lone surrogate in a name (not in a value): names are well-formed text.
        String name = new String(withSpecial.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        JsonNode read = MAPPER.readTree(JsonBytes.write(out -> out.startObject().name(name).string(withSpecial).endObject()));

        assertEquals(name, read.fieldNames().next());
        assertEquals(withSpecial, read.path(name).textValue());
    }

    @Property(tries = 200)
    void numbersAndBase64ReadBackAsThemselves(@ForAll long number, @ForAll @StringLength(max = 300) String data) throws Exception {
        byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        JsonNode read = MAPPER.readTree(JsonBytes.write(out -> out.startArray().number(number).base64(bytes).endArray()));

        assertEquals(number, read.get(0).longValue());
        assertEquals(Base64.getEncoder().encodeToString(bytes), read.get(1).textValue());
        assertArrayEquals(bytes, read.get(1).binaryValue());
    }

    @Test
    void nullStringsAndDecimalsAreJsonValues() {
        assertEquals("[null,0.41,12.0,-3.5E-7]", text(out -> out.startArray().string(null).number(0.41).number(12.0)
                .number(-3.5e-7).endArray()));
        assertThrows(IllegalArgumentException.class, () -> JsonBytes.write(out -> out.startArray().number(Double.NaN)));
        assertThrows(IllegalArgumentException.class,
                () -> JsonBytes.write(out -> out.startArray().number(Double.POSITIVE_INFINITY)));
    }

    @Test
    void aValueWrittenOnceCanBeCopiedAsTheNextValue() {
        String written = text(out -> {
            out.startArray();
            int from = out.size();
            out.startObject().name(A).string("v").endObject();
            int to = out.size();
            out.copyOfValue(from, to).copyOfValue(from, to).endArray();
        });

        assertEquals("[{\"a\":\"v\"},{\"a\":\"v\"},{\"a\":\"v\"}]", written);
    }

    @Test
    void aDocumentThatIsNotWellFormedIsRefused() {
        assertThrows(IllegalStateException.class, () -> JsonBytes.write(out -> out.startObject()));
        assertThrows(IllegalStateException.class, () -> JsonBytes.write(out -> out.startObject().name(A).endObject()));
        assertThrows(IllegalStateException.class, () -> JsonBytes.write(out -> out.startObject().name(A).name(B)));
        assertThrows(IllegalStateException.class, () -> JsonBytes.write(out -> out.endArray()));
        assertEquals("[]", text(out -> out.startArray().endArray()), "a refused document leaves the buffer clean");
    }

    @Test
    void aDocumentWrittenWhileWritingAnotherDoesNotShareTheBuffer() {
        String outer = text(out -> out.startArray().string(text(inner -> inner.startArray().number(2).endArray())).endArray());

        assertEquals("[\"[2]\"]", outer);
    }

    @Test
    void aBigDocumentIsWrittenWhole() throws Exception {
        char[] chars = new char[JsonBytes.KEEP_AT_MOST * 2];
        Arrays.fill(chars, 'é');
        String big = new String(chars);

        assertEquals(big, MAPPER.readTree(JsonBytes.write(out -> out.startArray().string(big).base64(new byte[100_000]).endArray()))
                .get(0).textValue());
        assertEquals("[1]", text(out -> out.startArray().number(1).endArray()), "the next document starts empty");
    }

    @Test
    void aDocumentLongerThanItsLimitStopsWhereItWouldPassIt() {
        JsonBytes.Body twentyItems = out -> {
            out.startArray();
            for (int i = 0; i < 20; i++) {
                out.string("x".repeat(1000));
            }
            out.endArray();
        };

        DocumentTooLargeException tooLarge = assertThrows(DocumentTooLargeException.class,
                () -> JsonBytes.write(twentyItems, 10_000));

        assertEquals(10_000, tooLarge.limit());
        assertEquals(20_061, JsonBytes.write(twentyItems, 20_061).length, "exactly the limit fits");
        assertEquals(20_061, JsonBytes.write(twentyItems).length, "the next document on the thread has no limit");
    }
}
