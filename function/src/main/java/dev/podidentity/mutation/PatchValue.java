package dev.podidentity.mutation;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.util.List;

/**
 * A value the function adds to a pod: only the handful of shapes the mutation emits, each able to
 * write itself as JSON.
 *
 * <pre>{@code
 * PatchValue env = new PatchValue.EnvVar("AWS_REGION", "eu-west-1");
 * PatchValue mount = new PatchValue.VolumeMount("aws-iam-token", "/var/run/secrets/eks.amazonaws.com/serviceaccount");
 * }</pre>
 */
public sealed interface PatchValue {

    /** Writes this value as the next value of the document. */
    void write(JsonGenerator json) throws IOException;

    /** {@code {"name": …, "value": …}} */
    record EnvVar(String name, String value) implements PatchValue {
        @Override
        public void write(JsonGenerator json) throws IOException {
            json.writeStartObject();
            json.writeStringField("name", name);
            json.writeStringField("value", value);
            json.writeEndObject();
        }
    }

    /** {@code {"name": …, "valueFrom": {"fieldRef": {"fieldPath": …}}}}: a Downward API variable. */
    record FieldRefEnvVar(String name, String fieldPath) implements PatchValue {
        @Override
        public void write(JsonGenerator json) throws IOException {
            json.writeStartObject();
            json.writeStringField("name", name);
            json.writeObjectFieldStart("valueFrom");
            json.writeObjectFieldStart("fieldRef");
            json.writeStringField("fieldPath", fieldPath);
            json.writeEndObject();
            json.writeEndObject();
            json.writeEndObject();
        }
    }

    /** {@code {"name": …, "mountPath": …, "readOnly": true}} */
    record VolumeMount(String name, String mountPath) implements PatchValue {
        @Override
        public void write(JsonGenerator json) throws IOException {
            json.writeStartObject();
            json.writeStringField("name", name);
            json.writeStringField("mountPath", mountPath);
            json.writeBooleanField("readOnly", true);
            json.writeEndObject();
        }
    }

    /** The projected ServiceAccount token volume. */
    record TokenVolume(TokenProjection token) implements PatchValue {
        @Override
        public void write(JsonGenerator json) throws IOException {
            json.writeStartObject();
            json.writeStringField("name", token.volumeName());
            json.writeObjectFieldStart("projected");
            json.writeArrayFieldStart("sources");
            json.writeStartObject();
            json.writeObjectFieldStart("serviceAccountToken");
            json.writeStringField("audience", token.audience());
            json.writeNumberField("expirationSeconds", token.expirationSeconds());
            json.writeStringField("path", token.tokenPath());
            json.writeEndObject();
            json.writeEndObject();
            json.writeEndArray();
            json.writeEndObject();
            json.writeEndObject();
        }
    }

    /** A JSON string. */
    record Text(String value) implements PatchValue {
        @Override
        public void write(JsonGenerator json) throws IOException {
            json.writeString(value);
        }
    }

    /** A JSON array of values: used when the array it appends to does not exist yet. */
    record Array(List<PatchValue> items) implements PatchValue {
        public Array {
            items = List.copyOf(items);
        }

        @Override
        public void write(JsonGenerator json) throws IOException {
            json.writeStartArray();
            for (PatchValue item : items) {
                item.write(json);
            }
            json.writeEndArray();
        }
    }

    /** A JSON object with one member: used when the map it adds to does not exist yet. */
    record Member(String key, PatchValue value) implements PatchValue {
        @Override
        public void write(JsonGenerator json) throws IOException {
            json.writeStartObject();
            json.writeFieldName(key);
            value.write(json);
            json.writeEndObject();
        }
    }
}
