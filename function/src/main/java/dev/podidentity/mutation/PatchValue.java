package dev.podidentity.mutation;

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
    void write(JsonBytes out);

    /** {@code {"name": …, "value": …}} */
    record EnvVar(String name, String value) implements PatchValue {
        @Override
        public void write(JsonBytes out) {
            out.startObject().name(PatchNames.NAME).string(name).name(PatchNames.VALUE).string(value).endObject();
        }
    }

    /** {@code {"name": …, "valueFrom": {"fieldRef": {"fieldPath": …}}}}: a Downward API variable. */
    record FieldRefEnvVar(String name, String fieldPath) implements PatchValue {
        @Override
        public void write(JsonBytes out) {
            out.startObject().name(PatchNames.NAME).string(name)
                    .name(PatchNames.VALUE_FROM).startObject()
                    .name(PatchNames.FIELD_REF).startObject().name(PatchNames.FIELD_PATH).string(fieldPath).endObject()
                    .endObject()
                    .endObject();
        }
    }

    /** {@code {"name": …, "mountPath": …, "readOnly": true}} */
    record VolumeMount(String name, String mountPath) implements PatchValue {
        @Override
        public void write(JsonBytes out) {
            out.startObject().name(PatchNames.NAME).string(name).name(PatchNames.MOUNT_PATH).string(mountPath)
                    .name(PatchNames.READ_ONLY).bool(true).endObject();
        }
    }

    /** The projected ServiceAccount token volume. */
    record TokenVolume(TokenProjection token) implements PatchValue {
        @Override
        public void write(JsonBytes out) {
            out.startObject().name(PatchNames.NAME).string(token.volumeName())
                    .name(PatchNames.PROJECTED).startObject()
                    .name(PatchNames.SOURCES).startArray()
                    .startObject().name(PatchNames.SERVICE_ACCOUNT_TOKEN).startObject()
                    .name(PatchNames.AUDIENCE).string(token.audience())
                    .name(PatchNames.EXPIRATION_SECONDS).number(token.expirationSeconds())
                    .name(PatchNames.PATH).string(token.tokenPath())
                    .endObject().endObject()
                    .endArray()
                    .endObject()
                    .endObject();
        }
    }

    /** A JSON string. */
    record Text(String value) implements PatchValue {
        @Override
        public void write(JsonBytes out) {
            out.string(value);
        }
    }

    /** A JSON array of values: used when the array it appends to does not exist yet. */
    record Array(List<PatchValue> items) implements PatchValue {
        public Array {
            items = List.copyOf(items);
        }

        @Override
        public void write(JsonBytes out) {
            out.startArray();
            for (PatchValue item : items) {
                item.write(out);
            }
            out.endArray();
        }
    }

    /** A JSON object with one member: used when the map it adds to does not exist yet. */
    record Member(String key, PatchValue value) implements PatchValue {
        @Override
        public void write(JsonBytes out) {
            out.startObject().name(key);
            value.write(out);
            out.endObject();
        }
    }
}
