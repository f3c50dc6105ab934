package io.toka.tools.nativ.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration shared by the file tools (PID {@value #PID}). */
@ObjectClassDefinition(name = "Toka file tools",
        description = "Where the file tools (file-reader, file-lister, file-writer, date-validator, build-validator) may work.")
public @interface WorkspaceConfig {

    /** Configuration PID shared by every file tool. */
    String PID = "io.toka.tools.files";

    @AttributeDefinition(name = "Workspace root",
            description = "Directory the file tools are confined to; relative paths resolve against it."
                    + " Empty means ${karaf.base}/workspace.")
    String root() default "";

    @AttributeDefinition(name = "Additional roots",
            description = "Further absolute directories the file tools may use. Paths inside them must be given"
                    + " as absolute paths; relative paths always resolve against the workspace root.")
    String[] extraRoots() default {};

    @AttributeDefinition(name = "Maximum file size (bytes)",
            description = "Larger files are refused by file-reader and file-writer, never truncated.", min = "1")
    long maxFileBytes() default 10L * 1024 * 1024;
}
