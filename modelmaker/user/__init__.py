"""Loading the user module and checking its four functions and what they return."""
