package io.toka.tools.nativ.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration shared by the file tools (PID {@value #PID}). */
@ObjectClassDefinition(name = "Toka file tools", description = "Where the file tools may read and list.")
public @interface WorkspaceConfig {

    /** Configuration PID shared by every file tool. */
    String PID = "io.toka.tools.files";

    @AttributeDefinition(name = "Workspace root",
            description = "Directory the file tools are confined to. Empty means ${karaf.base}/workspace.")
    String root() default "";

    @AttributeDefinition(name = "Maximum file size (bytes)",
            description = "Larger files are refused, never truncated.", min = "1")
    long maxFileBytes() default 10L * 1024 * 1024;
}
