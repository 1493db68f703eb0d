package dev.podidentity.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;

import dev.podidentity.mutation.PatchOp;
import dev.podidentity.mutation.PatchValue;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.podidentity.TestJson.MAPPER;
import static org.junit.jupiter.api.Assertions.assertEquals;

class JsonPatchWriterTest {

    @Test
    void everyOperationIsWrittenInOrderWithItsOwnValue() throws Exception {
        // Many distinct values, each repeated, interleaved with values that occur once.
        List<PatchOp> ops = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (int v = 0; v < 12; v++) {
                ops.add(new PatchOp("/spec/containers/" + round + "/env/-", new PatchValue.EnvVar("AWS_" + v, "é-" + v)));
                if (v % 5 == 0) {
                    ops.add(new PatchOp("/spec/containers/" + round + "/volumeMounts/-",
                            new PatchValue.VolumeMount("once-" + round + "-" + v, "/m/" + v)));
                }
            }
        }

        JsonNode written = MAPPER.readTree(TestJson.patch(ops));

        ArrayNode expected = MAPPER.createArrayNode();
        for (PatchOp op : ops) {
            expected.addObject().put("op", "add").put("path", op.path())
                    .set("value", MAPPER.readTree(JsonDocument.write(json -> JsonPatchWriter.write(op.value(), json))));
        }
        assertEquals(expected, written);
    }

    @Test
    void anEmptyListIsAnEmptyPatch() throws Exception {
        assertEquals(MAPPER.createArrayNode(), MAPPER.readTree(TestJson.patch(List.of())));
    }
}
