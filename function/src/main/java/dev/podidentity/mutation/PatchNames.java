package dev.podidentity.mutation;

import com.fasterxml.jackson.core.io.SerializedString;

/**
 * Field names of the patch with their encoded form kept: each is written several times per
 * container, and a {@link SerializedString} is copied as bytes instead of encoded every time.
 *
 * <pre>{@code
 * json.writeFieldName(PatchNames.NAME);
 * }</pre>
 */
final class PatchNames {
    static final SerializedString OP = new SerializedString("op");
    static final SerializedString ADD = new SerializedString("add");
    static final SerializedString PATH = new SerializedString("path");
    static final SerializedString VALUE = new SerializedString("value");
    static final SerializedString NAME = new SerializedString("name");
    static final SerializedString MOUNT_PATH = new SerializedString("mountPath");
    static final SerializedString READ_ONLY = new SerializedString("readOnly");

    private PatchNames() {
    }
}
