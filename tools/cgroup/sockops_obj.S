/* Links the compiled BPF object into the launcher, so it ships as one file. SOCKOPS_OBJ is the
 * object's path, given by the Makefile (which also makes this file depend on it). */
	.section .rodata
	.balign 8
	.global uw_sockops_obj
	.global uw_sockops_obj_end
	.hidden uw_sockops_obj
	.hidden uw_sockops_obj_end
uw_sockops_obj:
	.incbin SOCKOPS_OBJ
uw_sockops_obj_end:

/* No executable stack for the launcher because of this file. */
	.section .note.GNU-stack, "", %progbits
