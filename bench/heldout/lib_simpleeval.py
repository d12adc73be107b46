LIBRARY = "simpleeval"
CONTROLS = {}
CARELESS = {}
