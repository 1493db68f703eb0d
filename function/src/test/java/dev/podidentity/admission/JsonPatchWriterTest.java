package dev.podidentity.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;

import dev.podidentity.mutation.PatchOp;
import dev.podidentity.mutation.PatchValue;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static dev.podidentity.TestJson.MAPPER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonPatchWriterTest {

    @Test
    void everyOperationIsWrittenInOrderWithItsOwnValue() throws Exception {
        // Many distinct values, each repeated, interleaved with values that occur once.
        List<PatchOp> ops = new ArrayList<>();
        ArrayNode expected = MAPPER.createArrayNode();
        for (int round = 0; round < 3; round++) {
            for (int v = 0; v < 12; v++) {
                String path = "/spec/containers/" + round + "/env/-";
                ops.add(new PatchOp(path, new PatchValue.EnvVar("AWS_" + v, "é-" + v)));
                expected.addObject().put("op", "add").put("path", path).putObject("value")
                        .put("name", "AWS_" + v).put("value", "é-" + v);
                if (v % 5 == 0) {
                    String mountPath = "/spec/containers/" + round + "/volumeMounts/-";
                    ops.add(new PatchOp(mountPath, new PatchValue.VolumeMount("once-" + round + "-" + v, "/m/" + v)));
                    expected.addObject().put("op", "add").put("path", mountPath).putObject("value")
                            .put("name", "once-" + round + "-" + v).put("mountPath", "/m/" + v).put("readOnly", true);
                }
            }
        }

        JsonNode written = MAPPER.readTree(TestJson.patch(ops));

        assertEquals(expected, written);
    }

    @Test
    void anEmptyListIsAnEmptyPatch() throws Exception {
        assertEquals(MAPPER.createArrayNode(), MAPPER.readTree(TestJson.patch(List.of())));
    }

    @Test
    void specialCharactersAreEscapedWithLowerCaseHex() {
        byte[] patch = TestJson.patch(List.of(new PatchOp("/p",
                new PatchValue.Text("a\"b\\c\n\r\t\b\f\u0000\u001f/é€😀 \udc00"))));

        assertEquals("[{\"op\":\"add\",\"path\":\"/p\",\"value\":"
                + "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001f/é€\\ud83d\\ude00 \\udc00\"}]",
                new String(patch, StandardCharsets.UTF_8),
                "surrogates escaped, a lone one too: the document stays valid");
    }

    @Test
    void aPatchLongerThanItsLimitIsRefused() {
        List<PatchOp> ops = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ops.add(new PatchOp("/x", new PatchValue.Text("x".repeat(1000))));
        }
        int length = TestJson.patch(ops).length;

        DocumentTooLargeException tooLarge = assertThrows(DocumentTooLargeException.class,
                () -> JsonPatchWriter.write(ops, 10_000));

        assertEquals(10_000, tooLarge.limit());
        assertEquals(length, JsonPatchWriter.write(ops, length).length, "exactly the limit fits");
        assertThrows(DocumentTooLargeException.class, () -> JsonPatchWriter.write(ops, length - 1));
        assertThrows(DocumentTooLargeException.class, () -> JsonPatchWriter.write(
                List.of(new PatchOp("/x", new PatchValue.Text("x".repeat(200)))), 100),
                "also a patch shorter than the generator's own buffer");
    }

    @Test
    void aBigPatchIsWrittenWhole() throws Exception {
        String big = "é".repeat(128 * 1024);

        JsonNode written = MAPPER.readTree(TestJson.patch(List.of(new PatchOp("/big", new PatchValue.Text(big)))));

        assertEquals(big, written.get(0).get("value").textValue());
    }
}
